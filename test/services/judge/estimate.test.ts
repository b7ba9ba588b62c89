import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobJudgeCache } from '../../../lambdas/adapters/judge-cache.ts';
import { JUDGE_PRESETS, resolveJudge } from '../../../lambdas/core/judge/presets.ts';
import { estimateJudgeRun, formatEstimate } from '../../../lambdas/services/judge/estimate.ts';
import { prepareJudgeRun } from '../../../lambdas/services/judge/prepare.ts';
import { createPromptTokenCounter, encodingForModel } from '../../../lambdas/services/judge/token-count.ts';
import { needFixtures, readFixtureText } from '../../support/fixtures.ts';
import { LEADERBOARD_JUDGE, REFERENCE, TEMPLATE, workspace, type Workspace } from './judge-harness.ts';

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await ws.cleanup();
});

function prepare(model: string, preset = LEADERBOARD_JUDGE) {
  return prepareJudgeRun({
    evalSet: { text: readFixtureText(REFERENCE), source: REFERENCE },
    template: readFixtureText(TEMPLATE),
    modelOutputs: { text: readFixtureText(`outputs/${model}.model_outputs.json.gz`), fileName: model },
    preset,
  });
}

describe('token-count', () => {
  describe('encodingForModel', () => {
    it.each([
      ['gpt-4-1106-preview', 'cl100k_base', true], ['gpt-4-turbo', 'cl100k_base', true],
      ['gpt-4o-mini-2024-07-18', 'o200k_base', true], ['gpt-4o', 'o200k_base', true],
      ['gpt-4.1-2025-04-14', 'o200k_base', true], ['meta-llama/Llama-3.1-70B-Instruct', 'cl100k_base', false],
    ] as const)('uses %s → %s (exact: %s)', (model, encoding, exact) => {
      expect(encodingForModel(model)).toMatchObject({ encoding, exact });
    });
  });

  describe('createPromptTokenCounter', () => {
    it.for(['alpaca-7b', 'NullModel'])('counts exactly the prompt tokens OpenAI billed for every %s judge request', async (model, ctx) => {
      // Prepare: the official raw completions record total_tokens = prompt tokens + 1 completion token
      const ann = `annotations/${model}.annotations.json.gz`;
      needFixtures(ctx, REFERENCE, TEMPLATE, `outputs/${model}.model_outputs.json.gz`, ann);
      const stored = JSON.parse(readFixtureText(ann)) as { raw_completion?: { total_tokens: number } | null }[];
      const { jobs } = prepare(model);
      const counter = await createPromptTokenCounter('gpt-4-1106-preview');
      // Act
      const pairs = jobs.flatMap((job, i) => {
        const raw = stored[i]!.raw_completion;
        return job.identical || !raw ? [] : [[counter.count(job.messages), raw.total_tokens - 1]];
      });
      // Assess
      expect(pairs.length).toBeGreaterThan(800);
      expect(pairs.filter(([ours, billed]) => ours !== billed)).toEqual([]);
    });

    it('counts a name field and special-token text as plain text', async () => {
      const counter = await createPromptTokenCounter('gpt-4o');
      const plain = counter.count([{ role: 'user', content: 'hi' }]);
      expect(counter.count([{ role: 'system', content: 'hi', name: 'x' }]) - plain).toBe(2); // "x" + 1 for the name
      expect(counter.count([{ role: 'user', content: 'hi <|endoftext|>' }])).toBeGreaterThan(plain + 3);
    });
  });
});

describe('estimate', () => {
  describe('estimateJudgeRun', () => {
    it('counts rows to send, cached and identical rows, tokens and dollars at real-time and batch prices', async (ctx) => {
      // Prepare: the first 100 rows are in the cache
      needFixtures(ctx, REFERENCE, TEMPLATE, 'outputs/alpaca-7b.model_outputs.json.gz');
      const prepared = prepare('alpaca-7b');
      const cache = BlobJudgeCache.inDirectory(join(ws.cacheRoot, 'judge'));
      for (const job of prepared.jobs.slice(0, 100)) {
        await cache.put({ key: job.key, judgeModel: 'gpt-4-1106-preview', rawCompletion: {}, usage: null, costUsd: null,
          latencyMs: 1, via: 'api', createdAt: 'then' });
      }
      const counter = await createPromptTokenCounter('gpt-4-1106-preview');
      const expectedTokens = prepared.jobs.slice(100).filter((j) => !j.identical).reduce((n, j) => n + counter.count(j.messages), 0);
      // Act
      const e = await estimateJudgeRun({ prepared, preset: LEADERBOARD_JUDGE, cache, counter });
      // Assess
      expect(e).toMatchObject({ rows: 805, cached: 100, identical: 3, requests: 702, rowsToSend: 702, outputTokens: 702 });
      expect(e.promptTokens).toBe(expectedTokens);
      expect(e.costRealTimeUsd).toBeCloseTo((expectedTokens * 10 + 702 * 30) / 1e6, 12);
      expect(e.costBatchUsd).toBeCloseTo(e.costRealTimeUsd! / 2, 12);
      expect(formatEstimate(e)).toContain('to send: 702 rows in 702 requests · cached: 100 · identical (no call): 3');
    });

    it('prices gpt-4o-mini with o200k_base and reports unknown prices for a custom judge', async (ctx) => {
      // Prepare
      needFixtures(ctx, REFERENCE, TEMPLATE, 'outputs/alpaca-7b.model_outputs.json.gz');
      const cache = BlobJudgeCache.inDirectory(join(ws.cacheRoot, 'judge'));
      const mini = JUDGE_PRESETS['gpt-4o-mini']!;
      const custom = resolveJudge({ judgeModel: 'my-vllm-judge' });
      // Act
      const a = await estimateJudgeRun({ prepared: prepare('alpaca-7b', mini), preset: mini, cache, counter: await createPromptTokenCounter(mini.model) });
      const b = await estimateJudgeRun({ prepared: prepare('alpaca-7b', custom), preset: custom, cache, counter: await createPromptTokenCounter(custom.model) });
      // Assess
      expect(a.tokenizer.encoding).toBe('o200k_base');
      expect(a.costRealTimeUsd).toBeCloseTo((a.promptTokens * 0.15 + a.outputTokens * 0.6) / 1e6, 12);
      expect(b).toMatchObject({ costRealTimeUsd: null, costBatchUsd: null, comparableToLeaderboard: false });
      expect(formatEstimate(b)).toMatch(/unknown \(no prices for this model\).*\n.*approximated with cl100k_base/);
    });
  });
});
