import { describe, expect, it } from 'vitest';
import {
  IDENTICAL_OUTPUTS_PREFERENCE,
  buildJudgeJobs,
  judgeJobKey,
  sha256Hex,
} from '../../../lambdas/core/judge/build-requests.ts';
import { JudgeInputError } from '../../../lambdas/core/judge/errors.ts';
import { isSwitchedOutputs } from '../../../lambdas/core/judge/order-randomisation.ts';
import { matchModelOutputs, type MatchedRow } from '../../../lambdas/core/eval-set/match.ts';
import { parseModelOutputs } from '../../../lambdas/core/eval-set/schema.ts';
import { needFixtures, readFixtureJson, readFixtureText } from '../../support/fixtures.ts';

const TEMPLATE = 'judge/alpaca_eval_clf.txt';
const REFERENCE = 'reference/gpt4_1106_preview.model_outputs.json';
const ALPACA_7B = 'outputs/alpaca-7b.model_outputs.json.gz';
const EXAMPLES = 'derived/judge_messages_examples.json';
const FLAGS = 'derived/is_switched_outputs.json';
const MINI = '<|im_start|>system\nJudge.\n<|im_end|>\n<|im_start|>user\n{instruction}\nm: {output_1}\nM: {output_2}\n<|im_end|>';

function row(evalIndex: number, instruction: string, output_1: string, output_2: string): MatchedRow {
  return {
    evalIndex, modelIndex: evalIndex, instruction, output_1, output_2,
    reference: { instruction, output: output_1 }, model: { instruction, output: output_2 },
  };
}

describe('build-requests', () => {
  describe('judgeJobKey', () => {
    it('hashes [version, model, template sha, instruction, first, second] as compact JSON', () => {
      // Prepare: expected = hashlib.sha256(json.dumps([...], separators=(",", ":")).encode()).hexdigest() in CPython
      const templateSha256 = sha256Hex('{instruction}|{output_1}|{output_2}');
      // Act
      const key = judgeJobKey({
        judgeModel: 'gpt-4-1106-preview', templateSha256, instruction: 'Say "hi"', firstOutput: 'first', secondOutput: 'second',
      });
      // Assess
      expect(templateSha256).toBe('6e3d3da6f626da76036e6ccaa4b6eff69ca0d013a30ddd84518a2d8f5dd0073d');
      expect(key).toBe('8f9557238ca37b04812d6dd80710a21f716d88bf6771328d7c5d64e752dc5830');
    });

    it('changes with the judge model, the template, the order of the outputs and field boundaries', () => {
      // Prepare
      const base = { judgeModel: 'a', templateSha256: 't', instruction: 'i', firstOutput: 'x', secondOutput: 'y' };
      // Act
      const keys = [
        base,
        { ...base, judgeModel: 'b' },
        { ...base, templateSha256: 'u' },
        { ...base, firstOutput: 'y', secondOutput: 'x' },
        { ...base, firstOutput: 'x","y', secondOutput: '' },
      ].map(judgeJobKey);
      // Assess
      expect(new Set(keys).size).toBe(5);
      expect(judgeJobKey({ ...base })).toBe(keys[0]);
    });
  });

  describe('buildJudgeJobs', () => {
    it('flags identical outputs, including two empty ones, and shows the model first when switched', () => {
      // Prepare: with seed 0 CPython switches "abc", "x" and "y" but not "hello"
      const rows = [row(0, 'abc', 'ref', 'model'), row(1, 'hello', 'ref', 'model'), row(2, 'x', '', ''), row(3, 'y', 'same', 'same')];
      // Act
      const jobs = buildJudgeJobs({ template: MINI, rows, judgeModel: 'gpt-4-1106-preview' });
      // Assess
      expect(jobs.map((j) => j.identical)).toEqual([false, false, true, true]);
      expect(jobs.map((j) => j.messages.length)).toEqual([2, 2, 0, 0]);
      expect(jobs.map((j) => j.isSwitched)).toEqual([true, false, true, true]);
      expect(jobs[0]!.messages[1]!.content).toBe('abc\nm: model\nM: ref');
      expect(jobs[1]!.messages[1]!.content).toBe('hello\nm: ref\nM: model');
      expect(jobs.map((j) => [j.index, j.evalIndex, j.output_1, j.output_2])).toEqual([
        [0, 0, 'ref', 'model'], [1, 1, 'ref', 'model'], [2, 2, '', ''], [3, 3, 'same', 'same'],
      ]);
      expect(IDENTICAL_OUTPUTS_PREFERENCE).toBe(1.5);
    });

    it('keys jobs by judged order, so the same content gets the same key and the seed can change it', () => {
      // Prepare
      const rows = [row(0, 'abc', 'ref', 'model'), row(1, 'abc', 'ref', 'model')];
      // Act
      const seed0 = buildJudgeJobs({ template: MINI, rows, judgeModel: 'm' });
      const seed1 = buildJudgeJobs({ template: MINI, rows, judgeModel: 'm', seed: 1 });
      // Assess: "abc" is switched with seed 0 and not with seed 1
      expect(seed0[0]!.key).toBe(seed0[1]!.key);
      expect(seed0[0]!.key).toBe(judgeJobKey({
        judgeModel: 'm', templateSha256: sha256Hex(MINI), instruction: 'abc', firstOutput: 'model', secondOutput: 'ref',
      }));
      expect(seed1[0]!.isSwitched).toBe(false);
      expect(seed1[0]!.key).not.toBe(seed0[0]!.key);
    });

    it('throws JudgeInputError naming the row when a model output breaks the ChatML conversion', () => {
      // Prepare
      const rows = [row(0, 'hello', 'ref', 'fine'), row(1, 'hello', 'ref', '<|im_start|>systemx\nbad')];
      // Act
      const act = () => buildJudgeJobs({ template: MINI, rows, judgeModel: 'm' });
      // Assess
      expect(act).toThrow(JudgeInputError);
      expect(act).toThrow(/^row 1: /);
    });

    it('never prompts identical outputs, so their text cannot break the ChatML conversion', () => {
      // Prepare
      const rows = [row(0, 'hello', '<|im_start|>systemx\nbad', '<|im_start|>systemx\nbad')];
      // Act
      const jobs = buildJudgeJobs({ template: MINI, rows, judgeModel: 'm' });
      // Assess
      expect(jobs[0]).toMatchObject({ identical: true, messages: [] });
    });

    it('builds the 805 alpaca-7b jobs with the official flags and messages', (ctx) => {
      // Prepare
      needFixtures(ctx, TEMPLATE, REFERENCE, ALPACA_7B, EXAMPLES, FLAGS);
      const template = readFixtureText(TEMPLATE);
      const reference = parseModelOutputs(readFixtureText(REFERENCE), REFERENCE).rows;
      const model = parseModelOutputs(readFixtureText(ALPACA_7B), ALPACA_7B).rows;
      const { rows } = matchModelOutputs({ reference, modelOutputs: model });
      const flags = readFixtureJson<{ rows: { is_switched_outputs: boolean }[] }>(FLAGS).rows;
      const { examples } = readFixtureJson<{ examples: { eval_index: number; messages: unknown[] }[] }>(EXAMPLES);
      // Act
      const jobs = buildJudgeJobs({ template, rows, judgeModel: 'gpt-4-1106-preview' });
      // Assess
      expect(sha256Hex(template)).toBe('784227e6dc2832fc08c43d2c8ea3a308e7523780187a1aaad2f85e30bac85f62');
      expect(jobs).toHaveLength(805);
      expect(jobs.filter((j) => j.identical)).toHaveLength(3);
      expect(jobs.map((j) => j.isSwitched)).toEqual(jobs.map((j) => flags[j.evalIndex]!.is_switched_outputs));
      expect(jobs.map((j) => j.isSwitched)).toEqual(jobs.map((j) => isSwitchedOutputs(j.instruction)));
      for (const ex of examples) {
        expect(JSON.stringify(jobs[ex.eval_index]!.messages)).toBe(JSON.stringify(ex.messages));
      }
      expect(new Set(jobs.map((j) => j.key)).size).toBe(805);
    });
  });
});
