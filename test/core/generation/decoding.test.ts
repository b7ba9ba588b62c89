import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lambdas/core/errors.ts';
import { DEFAULT_DECODING, isSampling, resolveDecoding } from '../../../lambdas/core/generation/decoding.ts';

describe('decoding', () => {
  describe('resolveDecoding', () => {
    it('defaults to 512 new tokens, temperature 0.7, top-p 0.9, sampling, no seed', () => {
      expect(resolveDecoding()).toEqual({ maxNewTokens: 512, temperature: 0.7, topP: 0.9, seed: null });
      expect(isSampling(DEFAULT_DECODING)).toBe(true);
    });

    it('overrides only the given values', () => {
      expect(resolveDecoding({ temperature: 0, seed: 1, topP: undefined })).toEqual({ maxNewTokens: 512, temperature: 0, topP: 0.9, seed: 1 });
      expect(isSampling(resolveDecoding({ temperature: 0 }))).toBe(false);
    });

    it.each([{ maxNewTokens: 0 }, { maxNewTokens: 1.5 }, { temperature: -1 }, { topP: 0 }, { topP: 1.1 }, { seed: -2 }])(
      'refuses %j', (bad) => {
        expect(() => resolveDecoding(bad)).toThrow(UsageError);
      });
  });
});

