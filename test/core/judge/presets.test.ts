import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JUDGE_PRESET,
  JUDGE_PRESETS,
  findJudgePreset,
  requiresChatml,
  resolveJudge,
} from '../../../lambdas/core/judge/presets.ts';
import { GPU_INSTANCE_TYPES } from '../../../lambdas/core/judge/gpu-instances.ts';
import { UsageError } from '../../../lambdas/core/errors.ts';

describe('presets', () => {
  describe('JUDGE_PRESETS', () => {
    it('holds the seven judges with their official models', () => {
      // Act
      const models = Object.fromEntries(Object.values(JUDGE_PRESETS).map((p) => [p.name, p.model]));
      // Assess
      expect(models).toEqual({
        weighted_alpaca_eval_gpt4_turbo: 'gpt-4-1106-preview',
        gpt4_turbo_new: 'gpt-4-turbo',
        'gpt4.1': 'gpt-4.1-2025-04-14',
        'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
        gpt5_nano: 'gpt-5-nano',
        weighted_alpaca_eval_vllm_llama3_70b: 'meta-llama/Meta-Llama-3-70B-Instruct',
        vllm_llama3_8b: 'meta-llama/Meta-Llama-3-8B-Instruct',
      });
    });

    it('marks only the default judge as comparable to the leaderboard', () => {
      // Act
      const comparable = Object.values(JUDGE_PRESETS).filter((p) => p.comparableToLeaderboard).map((p) => p.name);
      // Assess
      expect(comparable).toEqual([DEFAULT_JUDGE_PRESET]);
      expect(DEFAULT_JUDGE_PRESET).toBe('weighted_alpaca_eval_gpt4_turbo');
    });

    it('uses the official request and parser settings for every logprob preset', () => {
      // Assess
      const logprob = Object.values(JUDGE_PRESETS).filter((p) => p.parser.kind === 'logprob');
      expect(logprob.map((p) => p.name)).toEqual(['weighted_alpaca_eval_gpt4_turbo', 'gpt4_turbo_new', 'gpt4.1', 'gpt-4o-mini',
        'weighted_alpaca_eval_vllm_llama3_70b', 'vllm_llama3_8b']);
      for (const p of logprob) {
        expect(p.request).toEqual({ max_tokens: 1, temperature: 1, top_p: 1, logprobs: true, top_logprobs: 5 });
        expect(p.parser).toEqual({ kind: 'logprob', numeratorToken: 'm', denominatorTokens: ['m', 'M'] });
      }
    });

    it('mirrors weighted_alpaca_eval_gpt5_nano: no logprobs, a 1000-token budget, low effort, regex m → 1, M → 2', () => {
      // Act
      const p = JUDGE_PRESETS.gpt5_nano!;
      // Assess
      expect(p.officialConfig).toBe('weighted_alpaca_eval_gpt5_nano');
      expect(p.request).toEqual({ max_completion_tokens: 1000, reasoning_effort: 'low' });
      expect(p.parser).toEqual({ kind: 'verdict', outputsToMatch: { 1: 'm', 2: 'M' } });
    });

    it('carries the announced shutdown dates with their source', () => {
      // Act
      const dates = Object.fromEntries(Object.values(JUDGE_PRESETS).map((p) => [p.name, p.shutdown?.date ?? null]));
      // Assess
      expect(dates).toEqual({
        weighted_alpaca_eval_gpt4_turbo: '2026-03-26', gpt4_turbo_new: '2026-10-23', 'gpt4.1': '2027-01-14',
        'gpt-4o-mini': '2027-01-14', gpt5_nano: null, weighted_alpaca_eval_vllm_llama3_70b: null, vllm_llama3_8b: null,
      });
      expect(JUDGE_PRESETS['gpt4.1']!.shutdown!.source).toMatch(/deprecations/);
    });

    it('prices the Batch API at half the real-time list price', () => {
      // Act
      const gpt4Turbo = JUDGE_PRESETS[DEFAULT_JUDGE_PRESET]!.prices!;
      // Assess
      expect(gpt4Turbo.realTime).toEqual({ inputPerMillion: 10, outputPerMillion: 30 });
      expect(gpt4Turbo.batch).toEqual({ inputPerMillion: 5, outputPerMillion: 15 });
      for (const p of Object.values(JUDGE_PRESETS).filter((x) => !x.selfHosted)) {
        expect(p.prices!.batch.inputPerMillion * 2).toBe(p.prices!.realTime.inputPerMillion);
        expect(p.prices!.batch.outputPerMillion * 2).toBe(p.prices!.realTime.outputPerMillion);
      }
    });
  });

  describe('open-weights presets', () => {
    const open = Object.values(JUDGE_PRESETS).filter((p) => p.selfHosted);

    it('mirror weighted_alpaca_eval_vllm_llama3_70b: the official request, logprob parser, chat template of the model', () => {
      // Act
      const p = JUDGE_PRESETS.weighted_alpaca_eval_vllm_llama3_70b!;
      // Assess: configs.yaml sets max_tokens 1, temperature 1, logprobs true, top_logprobs 5 (top_p: the decoder's 1.0)
      expect(open.map((x) => x.name)).toEqual(['weighted_alpaca_eval_vllm_llama3_70b', 'vllm_llama3_8b']);
      expect(p.officialConfig).toBe('weighted_alpaca_eval_vllm_llama3_70b');
      expect(p.request).toEqual({ max_tokens: 1, temperature: 1, top_p: 1, logprobs: true, top_logprobs: 5 });
      expect(p.parser).toEqual({ kind: 'logprob', numeratorToken: 'm', denominatorTokens: ['m', 'M'] });
      expect(p.selfHosted).toMatchObject({ hfModel: p.model, chatTemplate: 'model', dtype: 'bfloat16', maxModelLen: 8192 });
      expect(requiresChatml(p.model)).toBe(true);
    });

    it('have no shutdown, no token prices, are not the leaderboard judge, and pin a commit or say they do not', () => {
      for (const p of open) {
        // Assess
        expect(p.shutdown, p.name).toBeNull();
        expect(p.prices, p.name).toBeNull();
        expect(p.comparableToLeaderboard, p.name).toBe(false);
        expect(p.selfHosted!.revision === null || /^[0-9a-f]{40}$/.test(p.selfHosted!.revision), p.name).toBe(true);
        expect(p.selfHosted!.revisionSource.length, p.name).toBeGreaterThan(20);
        if (p.selfHosted!.revision === null) expect(p.selfHosted!.revisionSource).toMatch(/^unpinned/);
      }
      expect(Object.values(JUDGE_PRESETS).filter((p) => !p.selfHosted).every((p) => p.selfHosted === null)).toBe(true);
    });

    it('plan only instance types of the price table, each with the GPUs and memory the weights need', () => {
      for (const p of open) {
        const gpu = p.selfHosted!.gpu;
        expect(gpu.minTotalMemoryGb, p.name).toBeGreaterThan(gpu.weightsGb);
        expect(gpu.instanceTypes.length, p.name).toBeGreaterThan(0);
        for (const t of gpu.instanceTypes) {
          const i = GPU_INSTANCE_TYPES[t];
          expect(i, `${p.name} plans ${t}`).toBeDefined();
          expect(i!.gpus * i!.gpuMemoryGb, `${p.name} on ${t}`).toBeGreaterThanOrEqual(gpu.minTotalMemoryGb);
          expect(i!.gpus, `${p.name} on ${t}`).toBeGreaterThanOrEqual(gpu.minGpus);
        }
      }
    });

    it('include a judge that fits one 24–48 GB GPU', () => {
      // Act
      const small = open.filter((p) => p.selfHosted!.gpu.minGpus === 1 && p.selfHosted!.gpu.minTotalMemoryGb <= 48);
      // Assess
      expect(small.map((p) => p.name)).toEqual(['vllm_llama3_8b']);
      expect(small[0]!.selfHosted!.gpu.instanceTypes.every((t) => GPU_INSTANCE_TYPES[t]!.gpus === 1)).toBe(true);
    });

    it('are chosen by name, by official config name or by their Hugging Face id', () => {
      expect(resolveJudge({ judge: 'weighted_alpaca_eval_vllm_llama3_70b' }).selfHosted?.gpu.minGpus).toBe(2);
      expect(resolveJudge({ judgeModel: 'meta-llama/Meta-Llama-3-8B-Instruct' }).name).toBe('vllm_llama3_8b');
    });
  });

  describe('findJudgePreset', () => {
    it('finds a preset by its name or its official config name', () => {
      // Act
      const byName = findJudgePreset('gpt4.1');
      const byOfficial = findJudgePreset('weighted_alpaca_eval_gpt-4o-mini-2024-07-18');
      // Assess
      expect(byName?.model).toBe('gpt-4.1-2025-04-14');
      expect(byOfficial?.name).toBe('gpt-4o-mini');
      expect(findJudgePreset('nope')).toBeUndefined();
    });
  });

  describe('requiresChatml', () => {
    it('follows the official rule: no "instruct", no non-turbo gpt-3, no "text-"', () => {
      // Act
      const verdicts = ['gpt-4-1106-preview', 'gpt-3.5-turbo', 'gpt-3.5-turbo-instruct', 'gpt-3', 'text-davinci-003', 'o3-mini']
        .map(requiresChatml);
      // Assess
      expect(verdicts).toEqual([true, true, false, false, false, true]);
    });
  });

  describe('resolveJudge', () => {
    it('returns the default preset when nothing is chosen', () => {
      // Act
      const judge = resolveJudge();
      // Assess
      expect(judge.name).toBe('weighted_alpaca_eval_gpt4_turbo');
      expect(judge.comparableToLeaderboard).toBe(true);
    });

    it('resolves a preset name and a preset model to the preset', () => {
      // Act
      const byName = resolveJudge({ judge: 'gpt4_turbo_new' });
      const byModel = resolveJudge({ judgeModel: 'gpt-4-1106-preview' });
      const both = resolveJudge({ judge: 'gpt4.1', judgeModel: 'gpt-4.1-2025-04-14' });
      // Assess
      expect(byName.model).toBe('gpt-4-turbo');
      expect(byModel.name).toBe('weighted_alpaca_eval_gpt4_turbo');
      expect(both.name).toBe('gpt4.1');
    });

    it('makes an unknown chat model a custom judge that is not comparable and has no prices', () => {
      // Act
      const judge = resolveJudge({ judgeModel: ' gpt-5-mini ' });
      // Assess
      expect(judge).toMatchObject({
        name: 'custom:gpt-5-mini', officialConfig: null, model: 'gpt-5-mini', prices: null, comparableToLeaderboard: false,
      });
      expect(judge.request).toMatchObject({ top_logprobs: 5 });
    });

    it('throws UsageError for an unknown preset, contradicting options, an empty or non-chat model', () => {
      // Act
      const unknown = () => resolveJudge({ judge: 'gpt5' });
      const contradicting = () => resolveJudge({ judge: 'gpt4.1', judgeModel: 'gpt-4-turbo' });
      const empty = () => resolveJudge({ judgeModel: '  ' });
      const notChat = () => resolveJudge({ judgeModel: 'gpt-3.5-turbo-instruct' });
      // Assess
      expect(unknown).toThrow(UsageError);
      expect(unknown).toThrow(/known presets: weighted_alpaca_eval_gpt4_turbo, gpt4_turbo_new, gpt4.1, gpt-4o-mini/);
      expect(contradicting).toThrow(/contradicts/);
      expect(empty).toThrow(UsageError);
      expect(notChat).toThrow(/not a chat model/);
    });
  });
});
