import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { locateRun, openerFor, reportCommand } from '../../bin/commands/report.ts';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { comparePairedRuns } from '../../lambdas/core/report/paired-test.ts';
import { runAep } from '../support/cli.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { fixturePath, missingFixtures, missingMessage, readFixtureText } from '../support/fixtures.ts';
import { createTestBucket, motoAvailability, motoClient, startMoto } from '../support/moto.ts';
import { FIXTURES } from '../workflow/harness.ts';
import { fixtureAnnotations, RUN_FOLDER_FIXTURES, writeRunFolder } from '../report/run-folder.ts';

const NEEDED = [...FIXTURES, ...RUN_FOLDER_FIXTURES, 'outputs/gemma-2b-it.model_outputs.json.gz', 'annotations/alpaca-7b.annotations.json.gz', 'annotations/gpt-3.5-turbo-1106.annotations.json.gz'];
const missing = missingFixtures(...NEEDED);
if (missing.length) console.warn(`[skip] aep report tests: ${missingMessage(missing)}`);

/** Runs `aep report` in-process (the command is not registered in bin/cli.ts by this change). */
async function aepReport(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  process.exitCode = undefined;
  try {
    await reportCommand().exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.env = saved;
  }
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

let judge: FakeOpenAI;
let dir: string;
let out: string;
let runId: string;

beforeAll(async () => {
  if (missing.length) return;
  judge = await startFakeOpenAI();
  dir = await mkdtemp(join(tmpdir(), 'aep-cli-report-'));
  out = join(dir, 'results');
  const outputs = join(dir, 'model_outputs.json');
  await writeFile(outputs, readFixtureText('outputs/gemma-2b-it.model_outputs.json.gz'));
  const assets = ['--eval-set', fixturePath(FIXTURES[0]!)!, '--judge-template', fixturePath(FIXTURES[1]!)!, '--gamed', fixturePath(FIXTURES[2]!)!,
    '--instruction-difficulty', fixturePath(FIXTURES[3]!)!, '--leaderboard', fixturePath(FIXTURES[4]!)!];
  const r = await runAep(['run', '--model', 'W-61/hh-llama32-1b-sft', '--name', 'hh-sft', '--model-outputs', outputs, '--judge-base-url', judge.baseUrl, '--max-instances', '40',
    '--out', out, '--cache-dir', join(dir, 'cache'), ...assets], { env: { OPENAI_API_KEY: 'sk-test' } });
  if (r.code !== 0) throw new Error(`aep run failed: ${r.stderr}`);
  runId = /run (hh-sft-\S+)\)/.exec(r.stdout)![1]!;
}, 60_000);
afterAll(async () => {
  await judge?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('report', () => {
  describe('locateRun', () => {
    it('finds the store root and run id of an s3:// run folder, a run id and a folder path', () => {
      expect(locateRun('s3://b/pre/fix/runs/r-1/', undefined, {})).toEqual({ root: 's3://b/pre/fix/', runId: 'r-1' });
      expect(locateRun('s3://b/runs/r-1', undefined, {})).toEqual({ root: 's3://b/', runId: 'r-1' });
      expect(locateRun('r-1', 's3://b/x', {})).toEqual({ root: 's3://b/x', runId: 'r-1' });
      expect(locateRun('r-1', undefined, { AEP_STORE: '/data/res' })).toEqual({ root: '/data/res', runId: 'r-1' });
      expect(() => locateRun('s3://b/other/r-1', undefined, {})).toThrow(/not a run folder/);
      expect(() => locateRun('./no/such/dir', undefined, {})).toThrow(/does not exist/);
    });

    it('opens with the platform opener', () => {
      expect(openerFor('linux', '/r.html')).toEqual({ command: 'xdg-open', args: ['/r.html'] });
      expect(openerFor('darwin', '/r.html')).toEqual({ command: 'open', args: ['/r.html'] });
    });
  });
});

describe.skipIf(missing.length > 0)('aep report', () => {
  it('re-renders the report of an aep run folder and publishes it with the model history', async () => {
    // Prepare: remove what aep run rendered
    const folder = join(out, 'runs', runId);
    await rm(join(folder, 'report.html'));
    await rm(join(out, 'reports'), { recursive: true });
    // Act
    const r = await aepReport([runId, '--store', out]);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^hh-sft: LC \d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\] · win rate \d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\] · #\d+ of 224$/);
    expect(lines[1]).toBe(`report     ${join(folder, 'report.html')}`);
    expect(lines[3]).toBe(`history    ${join(out, 'reports', 'W-61-hh-llama32-1b-sft', 'index.html')} (1 run)`);
    expect(lines[4]).toBe(`index      ${join(out, 'reports', 'index.html')}`);
    const html = await readFile(join(folder, 'report.html'), 'utf8');
    const metrics = JSON.parse(await readFile(join(folder, 'metrics.json'), 'utf8'));
    expect(html).toContain(`<span id="lc-value">${metrics.length_controlled_winrate.toFixed(2)}</span>`);
    expect(html).toContain('Chart.js v4');
    expect(html).toContain('href="../../reports/W-61-hh-llama32-1b-sft/index.html"');
    expect((await readdir(join(out, 'reports'))).sort()).toEqual(['W-61-hh-llama32-1b-sft', runId, 'index.html'].sort());
    expect(await readFile(join(out, 'reports', runId, 'index.html'), 'utf8')).toContain('href="../W-61-hh-llama32-1b-sft/index.html"');
  });

  it('takes the run folder\'s path, and opens the report with the default browser', async () => {
    // Prepare: a stand-in xdg-open that records what it was asked to open
    const bin = await mkdtemp(join(dir, 'open-'));
    const record = join(bin, 'opened.txt');
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > "${record}"\n`);
    await chmod(join(bin, 'xdg-open'), 0o755);
    // Act
    const r = await aepReport([join(out, 'runs', runId), '--open'], { PATH: `${bin}:${process.env.PATH}` });
    // Assess
    expect(r.code, r.stderr).toBe(0);
    for (let i = 0; i < 50 && !existsSync(record); i++) await new Promise((res) => setTimeout(res, 40));
    expect((await readFile(record, 'utf8')).trim()).toBe(join(out, 'runs', runId, 'report.html'));
    expect(r.stdout).toContain(`opened     ${join(out, 'runs', runId, 'report.html')}`);
  });

  it('says so when no browser can be started, and still renders', async () => {
    const r = await aepReport([runId, '--store', out, '--open'], { PATH: '/nonexistent' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/could not open a browser \(xdg-open: ENOENT\); open .*report\.html yourself/);
  });

  it('builds the checkpoint history with a paired test between consecutive runs', async () => {
    // Prepare: two checkpoints of one model (real annotations of two leaderboard models stand in for them) and a failed run
    const root = await mkdtemp(join(dir, 'hist-'));
    const a = fixtureAnnotations('alpaca-7b');
    const b = fixtureAnnotations('gpt-3.5-turbo-1106');
    const first = await writeRunFolder(root, { config: { model: 'org/sft', revision: 'step-1000', name: 'sft' }, annotations: a, createdAt: '2026-01-01T00:00:00.000Z', costUsd: 9.1 });
    await writeRunFolder(root, { config: { model: 'org/sft', revision: 'step-1500', name: 'sft' }, annotations: a, createdAt: '2026-01-01T12:00:00.000Z', failed: true });
    const second = await writeRunFolder(root, { config: { model: 'org/sft', revision: 'step-2000', name: 'sft' }, annotations: b, createdAt: '2026-01-02T00:00:00.000Z' });
    await writeRunFolder(root, { config: { model: 'org/other', revision: 'x', name: 'other' }, annotations: a, createdAt: '2026-01-03T00:00:00.000Z' });
    // Act
    const r = await aepReport([second.runId, '--store', root]);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(3 runs)');
    const page = await readFile(join(root, 'reports', 'org-sft', 'index.html'), 'utf8');
    expect(page.match(/<code>step-\d+<\/code>/g)).toEqual(['<code>step-1000</code>', '<code>step-1500</code>', '<code>step-2000</code>', '<code>step-1000</code>', '<code>step-2000</code>']);
    const expected = comparePairedRuns(a, b);
    expect(expected.shared).toBe(805);
    expect(page).toContain(`<td class="n">+${expected.tTest.mean.toFixed(2)}</td><td class="n">[${expected.tTest.ci95[0].toFixed(2)}, ${expected.tTest.ci95[1].toFixed(2)}]</td>`);
    // the verdict comes from the paired LC bootstrap (aep compare's ΔLC), with its interval in the table
    const lcOf = async (runId: string) => JSON.parse(await readFile(join(root, 'runs', runId, 'lc_glm.json'), 'utf8')).length_controlled_winrate as number;
    const delta = (await lcOf(second.runId)) - (await lcOf(first.runId));
    expect(page).toMatch(new RegExp(`<td class="n">\\+${delta.toFixed(2).replace('.', '\\.')}</td><td class="n">\\[\\d+\\.\\d\\d, \\d+\\.\\d\\d\\]</td><td class="n">[\\d.e-]+</td><td class="n">805</td>`));
    expect(page).toContain('better: the 95 % interval of ΔLC is above 0');
    expect(r.stderr).not.toContain('raw-preference tests only');
    // each compared pair links its comparison page (what changed, flip explorer), written next to the history page
    const href = page.match(/<a class="small" href="(compare-[^"]+\.html)">what changed<\/a>/)![1]!;
    const cmp = await readFile(join(root, 'reports', 'org-sft', href), 'utf8');
    expect(cmp).toContain('id="flip-list"');
    expect(cmp).toContain(`id="delta-lc">+${delta.toFixed(2)}<`);
    expect(page).not.toContain('org/other');
  });

  it('falls back to the raw-preference verdict for a pair whose run lacks its recorded df_gamed.csv, and says so', async () => {
    const root = await mkdtemp(join(dir, 'hist-nogamed-'));
    await writeRunFolder(root, { config: { model: 'org/sft', revision: 'step-1', name: 'sft' }, annotations: fixtureAnnotations('alpaca-7b'), createdAt: '2026-01-01T00:00:00.000Z' });
    const second = await writeRunFolder(root, { config: { model: 'org/sft', revision: 'step-2', name: 'sft' }, annotations: fixtureAnnotations('gpt-3.5-turbo-1106'), createdAt: '2026-01-02T00:00:00.000Z', noGamedInput: true });
    const r = await aepReport([second.runId, '--store', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/history shows the raw-preference tests only for .* → .*df_gamed\.csv is missing/);
    const page = await readFile(join(root, 'reports', 'org-sft', 'index.html'), 'utf8');
    expect(page).toContain('better: both tests significant at 5 %');
  });

  it('refuses a run it cannot find, and one without metrics', async () => {
    const r = await aepReport(['no-such-run', '--store', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^aep report: no run no-such-run in /);
    const root = await mkdtemp(join(dir, 'fail-'));
    const failed = await writeRunFolder(root, { config: { model: 'org/sft', revision: 'r' }, annotations: fixtureAnnotations('alpaca-7b'), failed: true });
    const f = await aepReport([failed.runId, '--store', root]);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/has no metrics\.json: it did not get past aggregation/);
  });

  it('renders a run folder on S3 and writes the pages next to it', async (ctx) => {
    const moto = motoAvailability();
    if (!moto.available) ctx.skip(moto.reason);
    const s3 = await startMoto();
    const client = motoClient(s3);
    try {
      const bucket = await createTestBucket(client, 'aep-report');
      const local = await mkdtemp(join(dir, 's3src-'));
      const built = await writeRunFolder(local, { config: { model: 'org/sft', revision: 's3' }, annotations: fixtureAnnotations('alpaca-7b') });
      const src = openBlobStore(local);
      const dst = openBlobStore(`s3://${bucket}/team/`, { s3Client: client });
      for (const key of await src.list('runs/')) await dst.put(key, (await src.get(key))!);
      const r = await aepReport([`s3://${bucket}/team/runs/${built.runId}/`], s3.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`report     s3://${bucket}/team/runs/${built.runId}/report.html`);
      expect((await dst.list('reports/')).sort()).toEqual([`reports/${built.runId}/index.html`, 'reports/index.html', 'reports/org-sft/index.html'].sort());
    } finally {
      client.destroy();
      await s3.stop();
    }
  });
});
