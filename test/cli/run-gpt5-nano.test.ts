import { readFile } from 'node:fs/promises';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAep } from '../support/cli.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { missingFixtures, missingMessage, readFixtureText } from '../support/fixtures.ts';
import { distortedBoard } from '../support/judge-board.ts';
import { assetFlags, FIXTURES, MODEL } from '../workflow/harness.ts';

// The newcomer of issue #10: an OpenAI key that cannot reach gpt-4-1106-preview, one command, a score with an
// official-scale estimate and its interval.
const missing = missingFixtures(...FIXTURES);
if (missing.length) console.warn(`[skip] gpt-5-nano run tests: ${missingMessage(missing)}`);

let engine: FakeEngine;
let judge: FakeOpenAI;
beforeAll(async () => {
  engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 });
  // this key's endpoint serves gpt-5-nano and gpt-4.1, not the retired leaderboard judge; gpt-5-nano answers in text
  judge = await startFakeOpenAI({
    models: ['gpt-5-nano', 'gpt-4.1-2025-04-14'],
    snapshot: (m) => (m === 'gpt-5-nano' ? 'gpt-5-nano-2025-08-07' : m),
    answer: (req) => ({ index: 0, message: { role: 'assistant', content: req.promptKey.length % 3 === 0 ? 'm' : 'M' }, logprobs: null, finish_reason: 'stop' }),
  });
});
afterAll(async () => {
  await Promise.all([engine?.close(), judge?.close()]);
});

describe.skipIf(missing.length > 0)('aep run when the leaderboard judge is gone', () => {
  it('stops the default judge before generating, naming its shutdown and the presets the key can use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-nano-'));
    const before = { engine: engine.requests.length, judge: judge.chatRequests.length };
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge-base-url', judge.baseUrl,
      '--max-instances', '20', '--out', join(dir, 'out'), '--cache-dir', join(dir, 'cache'), ...assetFlags()], { env: { OPENAI_API_KEY: 'sk-test' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/judge preflight failed for model "gpt-4-1106-preview" .*scheduled for shutdown on 2026-03-26.*presets this key can use at .*: gpt4\.1 \(gpt-4\.1-2025-04-14\), gpt5_nano \(gpt-5-nano\)/);
    expect(engine.requests.length - before.engine).toBe(0);
    expect(judge.chatRequests.length - before.judge).toBe(0);
  });

  it('scores with --judge gpt5_nano: the judge\'s LC on its own scale and the official-scale estimate with its interval', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-nano-'));
    // stands in for the pinned download of alpaca_eval's gpt-5-nano leaderboard (no network in tests)
    await writeFile(join(dir, 'nano.csv'), distortedBoard(readFixtureText(FIXTURES[4]!)).csv);
    const out = join(dir, 'out');
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge-base-url', judge.baseUrl, '--judge', 'gpt5_nano',
      '--max-instances', '40', '--out', out, '--cache-dir', join(dir, 'cache'), ...assetFlags()],
    { env: { OPENAI_API_KEY: 'sk-test', AEP_GPT5_NANO_LEADERBOARD: join(dir, 'nano.csv') } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/judge +gpt5_nano \(answered by gpt-5-nano-2025-08-07\) — numbers above are on this judge's scale/);
    expect(r.stdout).toMatch(/official scale +LC \d+\.\d\d +\(\d+ % interval \d+\.\d\d–\d+\.\d\d/);
    const runId = /run (hh-llama32-1b-sft-latest-[0-9a-f]+)/.exec(r.stdout)![1]!;
    const metrics = JSON.parse(await readFile(join(out, 'runs', runId, 'metrics.json'), 'utf8'));
    expect(metrics.judge).toMatchObject({ preset: 'gpt5_nano', parser: 'verdict', scale: 'judge:gpt-5-nano-2025-08-07' });
    expect(metrics.official_scale.interval[0]).toBeLessThanOrEqual(metrics.official_scale.length_controlled_winrate);
    expect(metrics.official_scale.interval[1]).toBeGreaterThanOrEqual(metrics.official_scale.length_controlled_winrate);
    const manifest = JSON.parse(await readFile(join(out, 'runs', runId, 'manifest.json'), 'utf8'));
    expect(manifest.results).toMatchObject({ judge_scale: 'judge:gpt-5-nano-2025-08-07', judge_snapshots: 'gpt-5-nano-2025-08-07' });
    const board = await readFile(join(out, 'runs', runId, 'leaderboard.csv'), 'utf8');
    expect(board.split('\n').find((l) => l.startsWith(`${MODEL.split('/').at(-1)},`))).toContain('official-scale-estimate');
  });
});
