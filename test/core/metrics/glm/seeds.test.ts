import { describe, expect, it } from 'vitest';
import { legacyRandint, liblinearSeedRefit, liblinearSeedsCv } from '../../../../lambdas/core/metrics/glm/seeds.ts';
import { needFixtures, readFixtureJson } from '../../../support/fixtures.ts';

describe('seeds', () => {
  describe('liblinearSeedsCv', () => {
    it('draws RandomState(123).randint(2**31 - 1) like numpy, equal to the goldens\' liblinear seeds', (ctx) => {
      // Prepare
      needFixtures(ctx, 'golden/alpaca-7b.json');
      const golden = readFixtureJson<{ glm: { cv: { liblinear_seeds_cv: number[]; liblinear_seed_refit: number } } }>('golden/alpaca-7b.json');
      // Act
      const seeds = liblinearSeedsCv(10);
      // Assess
      expect(seeds).toEqual([843828734, 914636141, 1228959102, 1840268610, 974319580, 819844194, 220395238, 941243409, 942612051, 2109339754]);
      expect(seeds).toEqual(golden.glm.cv.liblinear_seeds_cv);
    });
  });

  describe('liblinearSeedRefit', () => {
    it('is draw 0, because the refit is a path over a single C', () => {
      // Act
      const seed = liblinearSeedRefit();
      // Assess
      expect(seed).toBe(843828734);
    });
  });

  describe('legacyRandint', () => {
    it('masks to the smallest covering bit mask and rejects, like numpy\'s legacy randint', () => {
      // Act
      const small = legacyRandint(5, 0, 10);
      const one = legacyRandint(3, 5, 1);
      // Assess: np.random.seed(0); np.random.randint(10, size=5) → [5, 0, 3, 3, 7]
      expect(small).toEqual([5, 0, 3, 3, 7]);
      expect(one).toEqual([0, 0, 0]);
    });

    it('rejects an unsupported upper bound', () => {
      // Act / Assess
      expect(() => legacyRandint(1, 0, 0)).toThrow(/unsupported randint high/);
    });
  });
});
