import { describe, expect, it } from 'vitest';
import { matchModelOutputs } from '../../../lambdas/core/eval-set/match.ts';
import type { ModelOutputRow } from '../../../lambdas/core/eval-set/schema.ts';
import { goldenModels, needFixtures, readFixtureJson } from '../../support/fixtures.ts';

const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';

const ref = (instruction: string, output = `ref ${instruction}`): ModelOutputRow => ({ instruction, output, generator: 'base' });
const out = (instruction: string, output = `out ${instruction}`, extra: Record<string, unknown> = {}): ModelOutputRow =>
  ({ instruction, output, generator: 'model', ...extra });

type AnnotationRow = { instruction: string; output_1: string; output_2: string };

describe('match', () => {
  describe('matchModelOutputs', () => {
    it('joins on instruction in reference order, whatever the model file order', () => {
      // Prepare
      const reference = [ref('a'), ref('b'), ref('c')];
      const modelOutputs = [out('c'), out('a'), out('b')];
      // Act
      const { rows, report } = matchModelOutputs({ reference, modelOutputs });
      // Assess
      expect(rows.map((r) => [r.evalIndex, r.modelIndex, r.instruction, r.output_1, r.output_2])).toEqual([
        [0, 1, 'a', 'ref a', 'out a'], [1, 2, 'b', 'ref b', 'out b'], [2, 0, 'c', 'ref c', 'out c'],
      ]);
      expect(rows[0]!.model).toBe(modelOutputs[1]);
      expect(rows[0]!.reference).toBe(reference[0]);
      expect(report).toEqual({ nReference: 3, nModel: 3, nMatched: 3, missing: [], extra: [], duplicates: [] });
    });

    it('reports missing and extra instructions instead of losing them silently', () => {
      // Prepare
      const reference = [ref('a'), ref('b'), ref('c')];
      const modelOutputs = [out('a'), out('z'), out('c ')];
      // Act
      const { rows, report } = matchModelOutputs({ reference, modelOutputs });
      // Assess: matching is exact, so "c " does not match "c"
      expect(rows.map((r) => r.instruction)).toEqual(['a']);
      expect(report.missing).toEqual([{ evalIndex: 1, instruction: 'b' }, { evalIndex: 2, instruction: 'c' }]);
      expect(report.extra).toEqual([{ modelIndex: 1, instruction: 'z' }, { modelIndex: 2, instruction: 'c ' }]);
      expect(report.nMatched).toBe(1);
    });

    it('keeps one row per distinct duplicate record and drops exact copies, like merge + drop_duplicates', () => {
      // Prepare
      const reference = [ref('a'), ref('b')];
      const modelOutputs = [out('b', 'first'), out('a'), out('b', 'second'), out('b', 'first'), out('b', 'first', { note: 1 })];
      // Act
      const { rows, report } = matchModelOutputs({ reference, modelOutputs });
      // Assess
      expect(rows.map((r) => [r.evalIndex, r.modelIndex, r.output_2])).toEqual([
        [0, 1, 'out a'], [1, 0, 'first'], [1, 2, 'second'], [1, 4, 'first'],
      ]);
      expect(report.duplicates).toEqual([{ instruction: 'b', modelIndices: [0, 2, 3, 4], droppedModelIndices: [3] }]);
    });

    it('treats a null field and a missing field as equal when dropping copies', () => {
      // Prepare
      const modelOutputs = [out('a', 'x', { dataset: null }), out('a', 'x')];
      // Act
      const { rows, report } = matchModelOutputs({ reference: [ref('a')], modelOutputs });
      // Assess
      expect(rows).toHaveLength(1);
      expect(report.duplicates[0]!.droppedModelIndices).toEqual([1]);
    });

    it('reproduces the row order and content of all 15 stored annotation files', (ctx) => {
      // Prepare
      const models = goldenModels();
      needFixtures(ctx, REFERENCE, ...models.flatMap((m) => [`outputs/${m}.model_outputs.json.gz`, `annotations/${m}.annotations.json.gz`]));
      const reference = readFixtureJson<ModelOutputRow[]>(REFERENCE);
      // Act
      const results = models.map((m) => ({
        model: m,
        match: matchModelOutputs({ reference, modelOutputs: readFixtureJson<ModelOutputRow[]>(`outputs/${m}.model_outputs.json.gz`) }),
        annotations: readFixtureJson<AnnotationRow[]>(`annotations/${m}.annotations.json.gz`),
      }));
      // Assess
      for (const { match, annotations } of results) {
        expect(match.rows.map((r) => [r.instruction, r.output_1, r.output_2]))
          .toEqual(annotations.map((a) => [a.instruction, a.output_1, a.output_2]));
        expect(match.report.extra).toEqual([]);
        expect(match.report.duplicates).toEqual([]);
      }
      const missing = Object.fromEntries(results.map((r) => [r.model, r.match.report.missing.map((x) => x.evalIndex)]));
      expect(missing['alpaca-7b_concise']).toEqual([689]);
      expect(missing['alpaca-7b_verbose']).toEqual([366, 484, 689]);
      expect(missing['phi-2']).toEqual([131, 209]);
      expect(results.filter((r) => r.match.report.missing.length === 0)).toHaveLength(12);
    });
  });
});
