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

describe('estimateJudgeRun for an open-weights judge', () => {
  it('prices GPU time per planned instance: prefix cached once, the whole instance billed, spot below on-demand', async (ctx) => {
    // Prepare
    needFixtures(ctx, REFERENCE, TEMPLATE, 'outputs/alpaca-7b.model_outputs.json.gz');
    const preset = JUDGE_PRESETS.vllm_llama3_8b!;
    const prepared = prepare('alpaca-7b', preset);
    const counter = await createPromptTokenCounter(preset.model);
    // Act
    const e = await estimateJudgeRun({ prepared, preset, cache: BlobJudgeCache.inDirectory(join(ws.cacheRoot, 'judge')), counter });
    // Assess: the shared prefix is the system message and the template up to {instruction}
    const template = readFixtureText(TEMPLATE);
    const head = template.slice(0, template.indexOf('{instruction}'));
    const headTokens = counter.count([{ role: 'user', content: head.replace(/<\|im_start\|>|<\|im_end\|>/g, '') }]);
    expect(e.selfHosted!.sharedPrefixTokens).toBeGreaterThan(headTokens - 20);
    expect(e.selfHosted!.sharedPrefixTokens).toBeLessThan(headTokens + 20);
    expect(e.costRealTimeUsd).toBeNull();
    expect(e.selfHosted!.instances.map((c) => c.instanceType)).toEqual(['g6.xlarge', 'g5.xlarge', 'g6e.xlarge']);
    for (const c of e.selfHosted!.instances) {
      expect(c.prefillTokens).toBe(e.promptTokens - (e.requests - 1) * e.selfHosted!.sharedPrefixTokens);
      expect(c.judgeSeconds * c.prefillTokensPerSecond).toBeCloseTo(c.prefillTokens, -2);
      expect(c.gpuMinutes).toBeCloseTo(((c.startupSeconds + c.judgeSeconds) / 60) * c.instanceGpus, 9);
      expect(c.spotUsd).toBeLessThan(c.onDemandUsd);
      expect(c.onDemandUsd).toBeGreaterThan(0);
    }
    // a bigger GPU judges faster
    const [l4, , l40s] = e.selfHosted!.instances;
    expect(l40s!.judgeSeconds).toBeLessThan(l4!.judgeSeconds);
    expect(formatEstimate(e)).toMatch(/g6\.xlarge +1 × L4 \(tensor parallel 1\): \d+ prefill tok\/s, \d+ s start \+ \d+ s judging = [\d.]+ GPU-min · \$[\d.]+ on-demand · \$[\d.]+ spot/);
    expect(formatEstimate(e)).toMatch(/assumptions:\n {4}- prices: AWS EC2 on-demand/);
    expect(formatEstimate(e)).not.toMatch(/with --batch-api/);
  });

  it('splits the 70B judge over the GPUs an instance needs, and refuses an instance too small for it', async (ctx) => {
    needFixtures(ctx, REFERENCE, TEMPLATE, 'outputs/alpaca-7b.model_outputs.json.gz');
    const preset = JUDGE_PRESETS.weighted_alpaca_eval_vllm_llama3_70b!;
    const prepared = prepare('alpaca-7b', preset);
    const counter = await createPromptTokenCounter(preset.model);
    const cache = BlobJudgeCache.inDirectory(join(ws.cacheRoot, 'judge'));
    // Act
    const e = await estimateJudgeRun({ prepared, preset, cache, counter });
    // Assess: 4 × 48 GB L40S, 8 × 24 GB A10G (2 GPUs would not hold 141 GB)
    expect(e.selfHosted!.instances.map((c) => [c.instanceType, c.tensorParallel])).toEqual([['g6e.12xlarge', 4], ['g5.48xlarge', 8]]);
    await expect(estimateJudgeRun({ prepared, preset, cache, counter, instanceTypes: ['g6.xlarge'] }))
      .rejects.toThrow(/needs 160 GB of GPU memory on at least 2 GPU\(s\); g6\.xlarge has 1 × 24 GB/);
    await expect(estimateJudgeRun({ prepared, preset, cache, counter, instanceTypes: ['p9.huge'] })).rejects.toThrow(/unknown instance type "p9\.huge"/);
  });
});
