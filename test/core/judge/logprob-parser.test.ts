import { describe, expect, it } from 'vitest';
import { logSumExp, parseFinalPreference, parseLogprobPreference } from '../../../lambdas/core/judge/logprob-parser.ts';
import { isSwitchedOutputs, unswitchPreference } from '../../../lambdas/core/judge/order-randomisation.ts';
import { goldenModels, needFixtures, readFixtureJson } from '../../support/fixtures.ts';

type Top = { token: string; logprob: number };
const choice = (top: unknown[]) => ({ logprobs: { content: [{ token: 'm', logprob: 0, top_logprobs: top }] } });
const prob = (lp: number) => Math.exp(lp);

type AnnotationRow = {
  instruction: string;
  output_1: string;
  output_2: string;
  preference: number | null;
  raw_completion?: unknown;
};

describe('logprob-parser', () => {
  describe('logSumExp', () => {
    it('computes max + log(sum(exp(x − max))) and handles −∞', () => {
      // Act
      const both = logSumExp([Math.log(0.25), Math.log(0.5)]);
      const oneMissing = logSumExp([-3, -Infinity]);
      const allMissing = logSumExp([-Infinity, -Infinity]);
      // Assess
      expect(both).toBeCloseTo(Math.log(0.75), 15);
      expect(oneMissing).toBe(-3);
      expect(allMissing).toBe(-Infinity);
    });
  });

  describe('parseLogprobPreference', () => {
    it('returns 2 − P(m) with P(m) normalised over m and M', () => {
      // Prepare: P(m) = 0.2, P(M) = 0.6 → normalised P(m) = 0.25
      const raw = choice([{ token: 'M', logprob: Math.log(0.6) }, { token: 'The', logprob: -1 }, { token: 'm', logprob: Math.log(0.2) }]);
      // Act
      const result = parseLogprobPreference(raw);
      // Assess
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.preference).toBeCloseTo(1.75, 14);
    });

    it('treats a missing token as −∞', () => {
      // Act
      const onlyM = parseLogprobPreference(choice([{ token: 'M', logprob: -5 }]));
      const onlyLowerM = parseLogprobPreference(choice([{ token: 'm', logprob: -5 }]));
      // Assess
      expect(onlyM).toEqual({ ok: true, preference: 2 });
      expect(onlyLowerM).toEqual({ ok: true, preference: 1 });
    });

    it('matches tokens exactly and keeps the last of repeated tokens', () => {
      // Prepare: " m" and "m " are not "m"; the second "m" (-3) wins over the first (-0.1)
      const raw = choice([{ token: 'm', logprob: -0.1 }, { token: ' m', logprob: -0.01 }, { token: 'm ', logprob: -0.01 },
        { token: 'M', logprob: -3 }, { token: 'm', logprob: -3 }]);
      // Act
      const result = parseLogprobPreference(raw);
      // Assess
      expect(result).toEqual({ ok: true, preference: 1.5 });
    });

    it('uses custom numerator and denominator tokens', () => {
      // Act
      const result = parseLogprobPreference(choice([{ token: 'A', logprob: Math.log(0.3) }, { token: 'B', logprob: Math.log(0.1) }]), {
        numeratorToken: 'B', denominatorTokens: ['A', 'B'],
      });
      // Assess
      expect(result.ok && result.preference).toBeCloseTo(1.75, 14);
    });

    it.each([
      ['an empty string', '', /empty/],
      ['null', null, /empty/],
      ['a string', 'M', /not an object/],
      ['no logprobs', { text: 'M' }, /no logprobs.content/],
      ['null logprobs', { logprobs: null }, /no logprobs.content/],
      ['empty content', { logprobs: { content: [] } }, /empty/],
      ['no top_logprobs', { logprobs: { content: [{ token: 'm' }] } }, /no top_logprobs/],
      ['two tokens', { logprobs: { content: [{ top_logprobs: [] }, { top_logprobs: [] }] } }, /got 2/],
      ['neither m nor M', choice([{ token: 'The', logprob: -1 }]), /none of the tokens/],
      ['an entry without token', choice([{ logprob: -1 }, { token: 'm', logprob: -1 }]), /no "token"/],
      ['a non-numeric logprob', choice([{ token: 'm', logprob: '-1' }]), /not a number/],
      ['the decoder failure placeholder', { text: '', total_tokens: 0 }, /no logprobs.content/],
    ])('returns a failure value for %s', (_name, raw, reason) => {
      // Act
      const result = parseLogprobPreference(raw);
      // Assess
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    });

    it('reproduces every stored preference of the 15 annotation files within 1e-9', (ctx) => {
      // Prepare
      const files = goldenModels().map((m) => `annotations/${m}.annotations.json.gz`);
      needFixtures(ctx, ...files);
      let checked = 0;
      let identical = 0;
      let noRawField = 0;
      let maxError = 0;
      const unexplained: string[] = [];
      // Act
      for (const file of files) {
        readFixtureJson<AnnotationRow[]>(file).forEach((row, i) => {
          if (row.raw_completion === undefined || row.raw_completion === null) {
            if (row.output_1 === row.output_2) {
              identical++;
              if (row.preference !== 1.5) unexplained.push(`${file}#${i}: identical outputs but ${row.preference}`);
            } else if ('raw_completion' in row) unexplained.push(`${file}#${i}: null raw completion`);
            else noRawField++;
            return;
          }
          const parsed = parseFinalPreference(row.raw_completion, { isSwitched: isSwitchedOutputs(row.instruction) });
          if (!parsed.ok) {
            unexplained.push(`${file}#${i}: ${parsed.reason}`);
            return;
          }
          maxError = Math.max(maxError, Math.abs(parsed.preference - row.preference!));
          checked++;
        });
      }
      // Assess: 10,429 rows with a raw completion; 837 identical-output rows at 1.5 (805 of them the baseline against
      // itself); 803 rows of FuseChat-Llama-3.2-1B-Instruct, whose file has no raw_completion field, cannot be checked
      expect(unexplained).toEqual([]);
      expect(checked).toBe(10429);
      expect(identical).toBe(837);
      expect(noRawField).toBe(803);
      expect(maxError).toBeLessThan(1e-9);
    });

    it('reads the stored example logprobs to the official preference', (ctx) => {
      // Prepare
      needFixtures(ctx, 'derived/judge_messages_examples.json');
      const { examples } = readFixtureJson<{ examples: { raw_top_logprobs: Top[]; is_switched_outputs: boolean; official_preference: number }[] }>(
        'derived/judge_messages_examples.json');
      // Act
      const preferences = examples.map((e) => {
        const parsed = parseLogprobPreference(choice(e.raw_top_logprobs));
        return parsed.ok ? unswitchPreference(parsed.preference, { isSwitched: e.is_switched_outputs }) : NaN;
      });
      // Assess: e.g. example 0 is switched, P(m) = exp(−15.515626) / (… + exp(−6.704e−7)) ≈ 1.83e−7
      expect(preferences[0]).toBeCloseTo(1 + prob(-15.515626) / (prob(-15.515626) + prob(-6.704e-7)), 12);
      preferences.forEach((p, i) => expect(Math.abs(p - examples[i]!.official_preference)).toBeLessThan(1e-9));
    });
  });

  describe('parseFinalPreference', () => {
    it('un-switches the parsed preference and passes failures through', () => {
      // Prepare: P(m) = 0.2 → judge-order preference 1.8
      const raw = choice([{ token: 'm', logprob: Math.log(0.2) }, { token: 'M', logprob: Math.log(0.8) }]);
      // Act
      const switched = parseFinalPreference(raw, { isSwitched: true });
      const kept = parseFinalPreference(raw, { isSwitched: false });
      const failed = parseFinalPreference({}, { isSwitched: true });
      // Assess
      expect(switched.ok && switched.preference).toBeCloseTo(1.2, 14);
      expect(kept.ok && kept.preference).toBeCloseTo(1.8, 14);
      expect(failed).toEqual({ ok: false, reason: 'the completion has no logprobs.content' });
    });
  });
});
