import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAep } from '../support/cli.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { fixturePath, needFixtures, repoRoot } from '../support/fixtures.ts';

const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const TEMPLATE = 'judge/alpaca_eval_clf.txt';
const OUTPUTS = 'outputs/alpaca-7b.model_outputs.json.gz';
const ANSWER_FIRST = 300;

let fake: FakeOpenAI;
let dir: string;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  dir = await mkdtemp(join(tmpdir(), 'aep-judge-resume-'));
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function cachedEntries(): Promise<number> {
  const root = join(dir, 'cache', 'judge', 'v1');
  let n = 0;
  for (const sub of await readdir(root).catch(() => [] as string[])) {
    n += (await readdir(join(root, sub))).filter((f) => f.endsWith('.json')).length;
  }
  return n;
}

function args(): string[] {
  return ['judge', '--model-outputs', fixturePath(OUTPUTS)!, '--eval-set', fixturePath(REFERENCE)!, '--judge-template',
    fixturePath(TEMPLATE)!, '--judge-base-url', fake.baseUrl, '--cache-dir', join(dir, 'cache'), '--out', join(dir, 'out'),
    '--concurrency', '16'];
}

describe('aep judge after a crash', () => {
  it('resumes after SIGKILL mid-run without paying again for any answer the killed run received', async (ctx) => {
    // Prepare: the first 300 prompts are answered, later requests hang (in flight, unanswered, at the kill)
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
    fake.options.latencyMs = 1;
    fake.options.fault = (req) => (req.n >= ANSWER_FIRST ? { type: 'hang' } : undefined);
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'aep.js'), ...args()], {
      cwd: repoRoot, env: { ...process.env, OPENAI_API_KEY: 'sk-test', AEP_OFFLINE: '1', AEP_FROM_SOURCE: '1' }, stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while ((await cachedEntries()) < ANSWER_FIRST && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const paidBeforeKill = new Set(fake.answered.keys());
    const requestsBeforeKill = fake.chatRequests.length;
    // Act
    child.kill('SIGKILL');
    const code = await exited;
    fake.options.fault = undefined;
    const rerun = await runAep(args(), { env: { OPENAI_API_KEY: 'sk-test' } });
    // Assess
    expect(code).toBeNull(); // killed, not finished
    expect(paidBeforeKill.size).toBe(ANSWER_FIRST);
    expect(requestsBeforeKill).toBeGreaterThan(ANSWER_FIRST); // some were in flight (hung) at the kill
    expect(await cachedEntries()).toBe(802);
    expect(rerun.code, rerun.stderr).toBe(0);
    const rerunKeys = fake.chatRequests.slice(requestsBeforeKill).map((q) => q.promptKey);
    expect(rerunKeys.filter((k) => paidBeforeKill.has(k))).toEqual([]);
    expect(rerunKeys).toHaveLength(802 - ANSWER_FIRST);
    expect([...fake.answered.values()].every((n) => n === 1)).toBe(true);
    expect(rerun.stderr).toMatch(/judge: 805 rows · 502 judged .* · 300 cached · 3 identical · 0 failed/);
  });
});
