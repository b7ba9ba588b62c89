import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireRunLock, LOCK_FILE, RunLockedError } from '../../lambdas/adapters/run-lock.ts';
import { runAep } from '../support/cli.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { fixturePath, needFixtures, repoRoot } from '../support/fixtures.ts';

const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const TEMPLATE = 'judge/alpaca_eval_clf.txt';
const OUTPUTS = 'outputs/alpaca-7b.model_outputs.json.gz';

let fake: FakeOpenAI;
let dir: string;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  dir = await mkdtemp(join(tmpdir(), 'aep-judge-lock-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function args(): string[] {
  return ['judge', '--model-outputs', fixturePath(OUTPUTS)!, '--eval-set', fixturePath(REFERENCE)!, '--judge-template', fixturePath(TEMPLATE)!,
    '--judge-base-url', fake.baseUrl, '--cache-dir', join(dir, 'cache'), '--out', join(dir, 'out'), '--concurrency', '8', '--max-instances', '200'];
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('one aep at a time on a run folder', () => {
  it('refuses a second aep judge on the same folder while the first runs: every row is paid once', async (ctx) => {
    // Prepare: a slow judge, so the first run is still going when the second starts
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
    fake.options.latencyMs = 20;
    const first = spawn(process.execPath, [join(repoRoot, 'bin', 'aep.js'), ...args()], {
      cwd: repoRoot, env: { ...process.env, OPENAI_API_KEY: 'sk-test', AEP_OFFLINE: '1', AEP_FROM_SOURCE: '1' }, stdio: 'ignore',
    });
    const firstExit = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    const lock = join(dir, 'out', LOCK_FILE);
    const deadline = Date.now() + 30_000;
    while (!existsSync(lock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Act
    const second = await runAep(args(), { env: { OPENAI_API_KEY: 'sk-test' } });
    const code = await firstExit;
    // Assess
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toMatch(new RegExp(`^aep judge: .*out is in use by another aep \\(aep judge, pid ${first.pid} on .*\\); wait for it to finish or stop it .*nothing was started$`));
    expect(code).toBe(0);
    expect(Math.max(...fake.answered.values())).toBe(1);
    expect(fake.chatRequests.length).toBe(fake.answered.size);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over the lock of a process that died, and a later run finds no lock left', async (ctx) => {
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
    await mkdir(join(dir, 'out'), { recursive: true });
    await writeFile(join(dir, 'out', LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-12-01T00:00:00Z', command: 'aep judge' }));
    const r = await runAep(args(), { env: { OPENAI_API_KEY: 'sk-test' } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'out', LOCK_FILE))).toBe(false);
  });

  it('names a live holder in the error, and lets the folder go when released', async () => {
    const folder = join(dir, 'f');
    const held = await acquireRunLock(folder, 'aep run r1');
    const err = await acquireRunLock(folder, 'aep run r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunLockedError);
    expect((err as RunLockedError).owner).toMatchObject({ pid: process.pid, host: hostname(), command: 'aep run r1' });
    await held.release();
    const again = await acquireRunLock(folder, 'aep run r1');
    await again.release();
  });
});
