import { describe, expect, it } from 'vitest';
import { groupKFoldEqualGroups, numpyClassicArgsort, numpyHeapArgsort } from '../../../../lambdas/core/metrics/glm/group-kfold.ts';
import { Mt19937 } from '../../../../lambdas/core/random/mt19937.ts';
import { needFixtures, readFixtureJson } from '../../../support/fixtures.ts';

const TABLE = 'derived/groupkfold_equal_groups_folds.json';
type Table = { cases: Record<string, { numpy_classic: number[]; identity: number[] }> };

describe('group-kfold', () => {
  describe('groupKFoldEqualGroups', () => {
    it('reproduces numpy\'s classic introsort tie order and the identity order for every tabulated size', (ctx) => {
      // Prepare
      needFixtures(ctx, TABLE);
      const table = readFixtureJson<Table>(TABLE);
      const sizes = Object.keys(table.cases);
      expect(sizes).toEqual(expect.arrayContaining(['17', '100', '805', '2413', '2414', '2415']));
      for (const n of sizes) {
        // Act
        const classic = groupKFoldEqualGroups(Number(n), 5, 'numpy-classic');
        const stable = groupKFoldEqualGroups(Number(n), 5, 'stable');
        // Assess
        expect(Array.from(classic), `numpy-classic ${n}`).toEqual(table.cases[n]!.numpy_classic);
        expect(Array.from(stable), `stable ${n}`).toEqual(table.cases[n]!.identity);
      }
    });

    it('deals groups round robin from the last one in the stable order', () => {
      // Act
      const folds = groupKFoldEqualGroups(7, 3, 'stable');
      // Assess: group g of N → fold (N−1−g) mod n_splits
      expect(Array.from(folds)).toEqual([0, 2, 1, 0, 2, 1, 0]);
    });

    it('leaves groups in place up to 16 equal sizes (insertion sort) and scrambles from 17 on', () => {
      // Act
      const sixteen = groupKFoldEqualGroups(16, 5, 'numpy-classic');
      const seventeen = groupKFoldEqualGroups(17, 5, 'numpy-classic');
      // Assess
      expect(Array.from(sixteen)).toEqual(Array.from(groupKFoldEqualGroups(16, 5, 'stable')));
      expect(Array.from(seventeen)).not.toEqual(Array.from(groupKFoldEqualGroups(17, 5, 'stable')));
    });

    it('refuses fewer groups than splits, as scikit-learn does', () => {
      // Act / Assess
      expect(() => groupKFoldEqualGroups(4, 5)).toThrow(/n_splits=5 greater than the number of groups: 4/);
      expect(() => groupKFoldEqualGroups(10, 1)).toThrow(/nSplits/);
    });
  });

  describe('numpyClassicArgsort', () => {
    it('returns a permutation that sorts arbitrary integer keys, including many ties', () => {
      // Prepare
      const rng = Mt19937.fromSeed(7);
      for (const [n, range] of [[1, 3], [2, 3], [16, 4], [17, 4], [300, 5], [1000, 1000], [5000, 3]] as const) {
        const v = Array.from({ length: n }, () => rng.nextUint32() % range);
        // Act
        const order = numpyClassicArgsort(v);
        // Assess
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        for (let k = 1; k < n; k++) expect(v[order[k - 1]!]! <= v[order[k]!]!).toBe(true);
      }
    });
  });

  describe('numpyHeapArgsort', () => {
    it('sorts like the introsort fallback it stands for', () => {
      // Prepare
      const rng = Mt19937.fromSeed(11);
      for (const n of [0, 1, 2, 3, 10, 257]) {
        const v = Array.from({ length: n }, () => rng.nextUint32() % 7);
        // Act
        const order = numpyHeapArgsort(v);
        // Assess
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        for (let k = 1; k < n; k++) expect(v[order[k - 1]!]! <= v[order[k]!]!).toBe(true);
      }
    });
  });
});
