import { describe, expect, it } from 'vitest';
import {
  applySwitch,
  isSwitchedOutputs,
  pythonStringSeedKey,
  pythonStringSeededRng,
  randomSeededChoice,
  unswitchPreference,
} from '../../../lambdas/core/judge/order-randomisation.ts';
import { JudgeInputError } from '../../../lambdas/core/judge/errors.ts';
import { needFixtures, readFixtureJson } from '../../support/fixtures.ts';

const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const FLAGS = 'derived/is_switched_outputs.json';
const BROADWAY = 'What are the names of some famous actors that started their careers on Broadway?';

describe('order-randomisation', () => {
  describe('pythonStringSeedKey', () => {
    it('puts the least significant 32-bit word of bytes ‖ SHA-512(bytes) first', () => {
      // Prepare: for "abc", N = int.from_bytes(b"abc" + sha512(b"abc"), "big") has 535 bits (CPython 3.11.7)
      // Act
      const key = pythonStringSeedKey('abc');
      // Assess: N & 0xffffffff = 0xa54ca49f and N >> 512 = 0x616263 ("abc"), so 17 words
      expect(key.length).toBe(17);
      expect(key[0]).toBe(0xa54ca49f);
      expect(key[16]).toBe(0x616263);
    });

    it('drops zero words above the highest set bit, as CPython sizes the key from the bit length', () => {
      // Prepare: 5 NUL bytes + "abc" + 64 digest bytes = 72 bytes = 18 words, the top one zero
      // Act
      const key = pythonStringSeedKey('\u0000\u0000\u0000\u0000\u0000abc');
      // Assess
      expect(key.length).toBe(17);
      expect(key[16]).toBe(0x00616263);
    });

    it('throws JudgeInputError for a lone surrogate, which Python cannot encode', () => {
      // Prepare
      const seed = 'a\ud800b';
      // Act
      const act = () => pythonStringSeedKey(seed);
      // Assess
      expect(act).toThrow(JudgeInputError);
    });
  });

  describe('pythonStringSeededRng', () => {
    // Expected values printed by CPython 3.11.7: r = random.Random(s); r.random(), r.getrandbits(32)
    it.each([
      ['abc', 0.7720246314157545, 2397318194],
      ['', 0.9602256525641875, 2557274880],
      ['\u0000\u0000\u0000\u0000\u0000abc', 0.9111658661134768, 3671217362],
      ['é🎉', 0.5024521424610404, 1743146851],
      [`is_switched_outputs${BROADWAY}0`, 0.7568804589113483, 903769979],
      [`is_switched_outputs${BROADWAY}1`, 0.6620102619519345, 1473287017],
    ])('reproduces random.Random(%j) draws', (seed, firstDouble, nextWord) => {
      // Prepare
      const rng = pythonStringSeededRng(seed);
      // Act
      const u = rng.nextDouble();
      const w = rng.nextUint32();
      // Assess
      expect(u).toBe(firstDouble);
      expect(w).toBe(nextWord);
    });
  });

  describe('randomSeededChoice', () => {
    it('picks choices[floor(random() * n)] like random.Random(seed).choices(choices)[0]', () => {
      // Prepare: CPython gives b, c, a, c for seeds x, y, z, w
      const seeds = ['x', 'y', 'z', 'w'];
      // Act
      const picks = seeds.map((s) => randomSeededChoice(s, ['a', 'b', 'c']));
      // Assess
      expect(picks).toEqual(['b', 'c', 'a', 'c']);
    });

    it('throws JudgeInputError for an empty list', () => {
      // Act
      const act = () => randomSeededChoice('x', []);
      // Assess
      expect(act).toThrow(JudgeInputError);
    });
  });

  describe('isSwitchedOutputs', () => {
    it('reproduces all 805 official switch flags of the eval set (406 switched)', (ctx) => {
      // Prepare
      needFixtures(ctx, REFERENCE, FLAGS);
      const reference = readFixtureJson<{ instruction: string }[]>(REFERENCE);
      const expected = readFixtureJson<{ n_switched: number; rows: { index: number; is_switched_outputs: boolean }[] }>(FLAGS);
      // Act
      const flags = reference.map((r) => isSwitchedOutputs(r.instruction));
      // Assess
      expect(flags).toHaveLength(805);
      expect(flags).toEqual(expected.rows.map((r) => r.is_switched_outputs));
      expect(flags.filter(Boolean)).toHaveLength(406);
      expect(expected.n_switched).toBe(406);
    });

    it('uses the seed as the suffix of the seed string', () => {
      // Prepare: CPython random.Random("is_switched_outputs" + s + str(k)).choices([False, True])[0] for k = 0, 1, 123
      const expected = { abc: [true, false, false], x: [true, false, true], hello: [false, false, false] };
      // Act
      const flags = Object.keys(expected).map((s) => [0, 1, 123].map((seed) => isSwitchedOutputs(s, { seed })));
      // Assess
      expect(flags).toEqual(Object.values(expected));
      expect(isSwitchedOutputs('abc')).toBe(true);
    });

    it('throws JudgeInputError for a non-integer seed', () => {
      // Act
      const act = () => isSwitchedOutputs('abc', { seed: 0.5 });
      // Assess
      expect(act).toThrow(JudgeInputError);
    });
  });

  describe('applySwitch', () => {
    it('shows the model output first when switched', () => {
      // Prepare
      const pair = { output_1: 'reference', output_2: 'model' };
      // Act
      const switched = applySwitch(pair, { isSwitched: true });
      const kept = applySwitch(pair, { isSwitched: false });
      // Assess
      expect(switched).toEqual({ output_1: 'model', output_2: 'reference' });
      expect(kept).toEqual({ output_1: 'reference', output_2: 'model' });
      expect(kept).not.toBe(pair);
    });
  });

  describe('unswitchPreference', () => {
    it('maps x to 3 − x for switched rows and keeps it otherwise', () => {
      // Act
      const switched = [1, 1.25, 1.5, 2].map((x) => unswitchPreference(x, { isSwitched: true }));
      const kept = [1, 1.25, 1.5, 2].map((x) => unswitchPreference(x, { isSwitched: false }));
      // Assess
      expect(switched).toEqual([2, 1.75, 1.5, 1]);
      expect(kept).toEqual([1, 1.25, 1.5, 2]);
    });
  });
});
