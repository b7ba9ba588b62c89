import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JUDGE_PRESET,
  JUDGE_PRESETS,
  findJudgePreset,
  requiresChatml,
  resolveJudge,
} from '../../../lambdas/core/judge/presets.ts';
import { UsageError } from '../../../lambdas/core/errors.ts';

describe('presets', () => {
  describe('JUDGE_PRESETS', () => {
    it('holds the five judges with their official models', () => {
      // Act
      const models = Object.fromEntries(Object.values(JUDGE_PRESETS).map((p) => [p.name, p.model]));
      // Assess
      expect(models).toEqual({
        weighted_alpaca_eval_gpt4_turbo: 'gpt-4-1106-preview',
        gpt4_turbo_new: 'gpt-4-turbo',
        'gpt4.1': 'gpt-4.1-2025-04-14',
        'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
        gpt5_nano: 'gpt-5-nano',
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
      expect(logprob.map((p) => p.name)).toEqual(['weighted_alpaca_eval_gpt4_turbo', 'gpt4_turbo_new', 'gpt4.1', 'gpt-4o-mini']);
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
        'gpt-4o-mini': '2027-01-14', gpt5_nano: null,
      });
      expect(JUDGE_PRESETS['gpt4.1']!.shutdown!.source).toMatch(/deprecations/);
    });

    it('prices the Batch API at half the real-time list price', () => {
      // Act
      const gpt4Turbo = JUDGE_PRESETS[DEFAULT_JUDGE_PRESET]!.prices!;
      // Assess
      expect(gpt4Turbo.realTime).toEqual({ inputPerMillion: 10, outputPerMillion: 30 });
      expect(gpt4Turbo.batch).toEqual({ inputPerMillion: 5, outputPerMillion: 15 });
      for (const p of Object.values(JUDGE_PRESETS)) {
        expect(p.prices!.batch.inputPerMillion * 2).toBe(p.prices!.realTime.inputPerMillion);
        expect(p.prices!.batch.outputPerMillion * 2).toBe(p.prices!.realTime.outputPerMillion);
      }
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
