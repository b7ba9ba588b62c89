import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAnnotations } from '../../lambdas/core/annotations.ts';
import { runAep } from '../support/cli.ts';
import { fakeJudgeOrderPreference, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { fixturePath, needFixtures } from '../support/fixtures.ts';

const KEY = 'sk-cli-test-DO-NOT-PRINT-4242';
const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const TEMPLATE = 'judge/alpaca_eval_clf.txt';
const OUTPUTS = 'outputs/alpaca-7b.model_outputs.json.gz';
const STANDIN = ['standin/df_gamed.csv', 'standin/instruction_difficulty.csv', 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv'];

let fake: FakeOpenAI;
let dir: string;
beforeEach(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY, models: ['gpt-4-1106-preview', 'gpt-4o-mini-2024-07-18'] });
  dir = await mkdtemp(join(tmpdir(), 'aep-judge-cli-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function judge(extra: string[], options: { key?: string | undefined; outputs?: string } = {}) {
  const args = ['judge', '--model-outputs', options.outputs ?? fixturePath(OUTPUTS)!, '--eval-set', fixturePath(REFERENCE)!,
    '--judge-template', fixturePath(TEMPLATE)!, '--judge-base-url', fake.baseUrl, '--cache-dir', join(dir, 'cache'),
    '--out', join(dir, 'out'), '--concurrency', '32', ...extra];
  return runAep(args, { env: { OPENAI_API_KEY: 'key' in options ? options.key : KEY } });
}

/** Runs `aep judge` in this process (no spawn): for the fast failure paths. */
async function judgeInProcess(extra: string[], options: { key?: string | undefined; outputs?: string } = {}) {
  const { judgeCommand } = await import('../../bin/commands/judge.ts');
  const args = ['judge', '--model-outputs', options.outputs ?? fixturePath(OUTPUTS) ?? 'missing', '--eval-set',
    fixturePath(REFERENCE) ?? 'missing', '--judge-template', fixturePath(TEMPLATE) ?? 'missing', '--judge-base-url',
    fake.baseUrl, '--cache-dir', join(dir, 'cache'), '--out', join(dir, 'out'), ...extra];
  const savedKey = process.env.OPENAI_API_KEY;
  const savedExit = process.exitCode;
  const key = 'key' in options ? options.key : KEY;
  if (key === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = key;
  process.exitCode = undefined;
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    await new Command('aep').addCommand(judgeCommand()).parseAsync(['node', 'aep', ...args]);
  } finally {
    spy.mockRestore();
    if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = savedKey;
  }
  const code = process.exitCode ?? 0;
  process.exitCode = savedExit;
  return { code, stderr, stdout: '' };
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

describe('aep judge', () => {
  it('writes annotations.json that parseAnnotations and aep aggregate read, with a summary on stderr', async (ctx) => {
    // Prepare
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS, ...STANDIN);
    // Act
    const r = await judge([]);
    const agg = await runAep(['aggregate', '--annotations', join(dir, 'out', 'annotations.json'), '--gamed', fixturePath(STANDIN[0]!)!,
      '--instruction-difficulty', fixturePath(STANDIN[1]!)!, '--leaderboard', fixturePath(STANDIN[2]!)!, '--out', join(dir, 'agg'), '--json']);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const parsed = parseAnnotations(await readFile(join(dir, 'out', 'annotations.json'), 'utf8'), 'annotations.json');
    expect(parsed).toMatchObject({ model: 'alpaca-7b', baseline: 'gpt4_1106_preview', annotator: 'weighted_alpaca_eval_gpt4_turbo' });
    expect(parsed.rows).toHaveLength(805);
    expect(r.stderr).toMatch(/judge: 805 rows · 802 judged \(\d+ unparsable → NaN\) · 0 cached · 3 identical · 0 failed/);
    expect(r.stderr).toMatch(/\$\d+\.\d{2} this run/);
    expect(r.stderr + r.stdout).not.toContain(KEY);
    const summary = JSON.parse(await readFile(join(dir, 'out', 'judge_summary.json'), 'utf8'));
    expect(summary).toMatchObject({ rows: 805, judged: 802, failed: 0, match: { nMatched: 805, missing: [], extra: [] } });
    expect(agg.code, agg.stderr).toBe(0);
    const metrics = JSON.parse(lastLine(agg.stdout)) as { win_rate: number; n_total: number };
    expect(metrics.n_total).toBe(805);
    expect(metrics.win_rate).toBeGreaterThan(0);
  });

  it('judges the official --max-instances subset and names the model with --name', async (ctx) => {
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
    const r = await judge(['--max-instances', '20', '--name', 'my-sft']);
    expect(r.code, r.stderr).toBe(0);
    const parsed = parseAnnotations(await readFile(join(dir, 'out', 'annotations.json'), 'utf8'), 'a');
    expect(parsed.rows).toHaveLength(20);
    expect(parsed.model).toBe('my-sft');
    expect(fake.chatRequests).toHaveLength(20);
  });

  it('exits 1 naming the rows that failed after retries, writes them with judge_error, and a rerun sends only them', async (ctx) => {
    // Prepare
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
    const broken = (key: string) => fakeJudgeOrderPreference(key) < 1.05;
    fake.options.fault = (req) => (broken(req.promptKey) ? { type: 'status', status: 502, message: 'bad gateway' } : undefined);
    // Act
    const first = await judge(['--max-attempts', '2', '--max-instances', '150']);
    const written = JSON.parse(await readFile(join(dir, 'out', 'annotations.json'), 'utf8')) as { judge_error?: string }[];
    const failedRows = written.flatMap((row, i) => (row.judge_error ? [i + 1] : []));
    const before = fake.chatRequests.length;
    fake.options.fault = undefined;
    const second = await judge(['--max-instances', '150']);
    // Assess
    expect(failedRows.length).toBeGreaterThan(0);
    expect(first.code).toBe(1);
    expect(lastLine(first.stderr)).toMatch(new RegExp(`^aep judge: ${failedRows.length} row\\(s\\) have no judgement after retries \\(rows ${failedRows.slice(0, 20).join(', ')}`));
    expect(first.stderr).toContain('HTTP 502: bad gateway (gave up after 2 attempts)');
    expect(second.code, second.stderr).toBe(0);
    expect(fake.chatRequests.length - before).toBe(failedRows.length);
  });

  it('judges through the Batch API with --batch-api', async (ctx) => {
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
    const r = await judge(['--batch-api', '--batch-poll-interval', '0.01', '--max-instances', '100']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(await readFile(join(dir, 'out', 'annotations.json'), 'utf8')) as { judge_source: string }[];
    expect(rows).toHaveLength(100);
    // the first row is the preflight probe, judged in real time before the batch is submitted
    expect(rows.filter((x) => x.judge_source === 'batch').length).toBe(99 - rows.filter((x) => x.judge_source === 'identical').length);
    expect(rows.filter((x) => x.judge_source === 'api')).toHaveLength(1);
    expect(fake.batches.created).toBe(1);
    expect(fake.chatRequests).toHaveLength(1);
  });

  describe('bad input (in process)', () => {
    it('refuses to start without OPENAI_API_KEY', async () => {
      const r = await judgeInProcess([], { key: undefined });
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/^aep judge: OPENAI_API_KEY is not set/);
    });

    it('reports a rejected key without printing it and writes nothing', async (ctx) => {
      needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
      const r = await judgeInProcess([], { key: 'sk-wrong-key-123456' });
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/^aep judge: the judge API at .* rejected the credentials \(HTTP 401: .*\); check OPENAI_API_KEY$/);
      expect(r.stderr).not.toContain('sk-wrong-key-123456');
      expect(existsSync(join(dir, 'out', 'annotations.json'))).toBe(false);
    });

    it('stops an unknown judge model at preflight, naming the presets the key can use, before any request', async (ctx) => {
      needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
      const r = await judgeInProcess(['--judge-model', 'gpt-4-turbo-nonexistent']);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/^aep judge: judge preflight failed for model "gpt-4-turbo-nonexistent" at .*: the endpoint does not serve this model .*presets this key can use at .*: weighted_alpaca_eval_gpt4_turbo \(gpt-4-1106-preview\)/);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('rejects an unknown preset before any request', async () => {
      const r = await judgeInProcess(['--judge', 'gpt5-judge']);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/^aep judge: unknown judge preset "gpt5-judge"; known presets: weighted_alpaca_eval_gpt4_turbo, /);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it.for([
      ['a missing file', null, /cannot read the model outputs/],
      ['invalid JSON', '[{"instruction": "x", ', /invalid JSON/],
      ['an object instead of an array', '{"instruction": "x"}', /expected a JSON array of records, got an object/],
      ['a record without output', '[{"instruction": "x", "generator": "m"}]', /row 1, field "output": missing required field/],
      ['two generators', '[{"instruction":"a","output":"1","generator":"m"},{"instruction":"b","output":"2","generator":"n"}]', /row 2, field "generator"/],
    ] as const)('names the problem of a model outputs file with %s', async ([, content, message], ctx) => {
      needFixtures(ctx, REFERENCE, TEMPLATE);
      const file = join(dir, 'model_outputs.json');
      if (content !== null) await writeFile(file, content);
      const r = await judgeInProcess([], { outputs: file });
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(new RegExp(`^aep judge: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`));
      expect(lastLine(r.stderr)).toMatch(message);
      expect(fake.chatRequests).toHaveLength(0);
    });
  });
});
