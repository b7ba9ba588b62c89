import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAep } from '../support/cli.ts';
import { fixturePath, needFixtures, readFixtureText } from '../support/fixtures.ts';

const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const TEMPLATE = 'judge/alpaca_eval_clf.txt';
const OUTPUTS = 'outputs/alpaca-7b.model_outputs.json.gz';
const ANNOTATIONS = 'annotations/alpaca-7b.annotations.json.gz';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aep-estimate-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function estimate(extra: string[]) {
  return runAep(['estimate', '--model-outputs', fixturePath(OUTPUTS)!, '--eval-set', fixturePath(REFERENCE)!,
    '--judge-template', fixturePath(TEMPLATE)!, '--cache-dir', dir, ...extra], { env: { OPENAI_API_KEY: undefined } });
}

describe('aep estimate', () => {
  it('prints, as JSON, the prompt tokens OpenAI billed for the official alpaca-7b run and its dollars', async (ctx) => {
    // Prepare: the stored official completions say what each request cost (total_tokens = prompt + 1)
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS, ANNOTATIONS);
    const stored = JSON.parse(readFixtureText(ANNOTATIONS)) as { raw_completion?: { total_tokens: number } | null }[];
    const billedPrompt = stored.reduce((n, r) => n + (r.raw_completion ? r.raw_completion.total_tokens - 1 : 0), 0);
    // Act
    const r = await estimate(['--json']);
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as Record<string, any>;
    expect(e).toMatchObject({
      annotator: 'weighted_alpaca_eval_gpt4_turbo', judgeModel: 'gpt-4-1106-preview', rows: 805, identical: 3, cached: 0,
      requests: 802, rowsToSend: 802, outputTokens: 802, promptTokens: billedPrompt,
      tokenizer: { encoding: 'cl100k_base', exact: true },
      match: { nReference: 805, nModel: 805, nMatched: 805, missing: 0, extra: 0, duplicates: 0 },
    });
    expect(e.costRealTimeUsd).toBeCloseTo((billedPrompt * 10 + 802 * 30) / 1e6, 10);
    expect(e.costBatchUsd).toBeCloseTo(e.costRealTimeUsd / 2, 10);
  });

  it('prints a readable estimate for another preset and accepts the judge-only options', async (ctx) => {
    needFixtures(ctx, REFERENCE, TEMPLATE, OUTPUTS);
    const r = await estimate(['--judge', 'gpt-4o-mini', '--max-instances', '10', '--concurrency', '4', '--batch-api', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^estimate for gpt-4o-mini \(gpt-4o-mini-2024-07-18\)\n  rows: 10 /);
    expect(r.stdout).toMatch(/to send: 10 rows in 10 requests · cached: 0 · identical \(no call\): 0/);
    expect(r.stdout).toMatch(/cost: \$0\.\d{4} real-time · \$0\.\d{4} with --batch-api/);
    expect(r.stdout).toMatch(/tokenizer: o200k_base for gpt-4o-mini-2024-07-18, \+3 tokens per message, \+3 per request/);
    expect(r.stdout).toContain('not comparable');
  });
});
