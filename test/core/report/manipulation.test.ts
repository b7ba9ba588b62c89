import { describe, expect, it } from 'vitest';
import { findMarkers, markersFromTemplate } from '../../../lambdas/core/report/manipulation.ts';
import { needFixtures, readFixtureText } from '../../support/fixtures.ts';

describe('manipulation', () => {
  describe('markersFromTemplate', () => {
    it('derives the official template\'s chat tokens, identifier, slot delimiters and headings', (ctx) => {
      needFixtures(ctx, 'judge/alpaca_eval_clf.txt');
      const labels = markersFromTemplate(readFixtureText('judge/alpaca_eval_clf.txt')).map((m) => `${m.kind} ${m.label}`);
      expect(labels).toEqual([
        'special-token <|im_start|>', 'special-token <|im_end|>', 'identifier model_identifier',
        'slot-opener "instruction": """', 'slot-closer """, }', 'slot-opener "output": """', 'slot-closer """ }',
        'heading ## Model Outputs', 'heading ## Best Model Identifier',
      ]);
    });

    it('follows another template: its own tokens and delimiters, not the official ones', () => {
      const t = '<|system|>judge</s>\n## Which Answer Wins\nA: [[[{output_1}]]]\nB: [[[{output_2}]]]\n"answer_label": ?';
      const m = markersFromTemplate(t);
      expect(m.map((x) => x.label)).toEqual(['<|system|>', 'answer_label', 'A: [[[', ']]]', 'B: [[[', '## Which Answer Wins']);
    });
  });

  describe('findMarkers', () => {
    const markers = markersFromTemplate('<|im_start|>\n{\n  "model_identifier": "m",\n  "output": """{output_1}"""\n}\n## Best Model Identifier');

    it('finds a slot closed with different whitespace and a heading written inline', () => {
      expect(findMarkers('ok """}\n## best model identifier', markers)).toEqual(['slot-closer:""" }']);
      expect(findMarkers('x """ \n\t } then ##Best  Model Identifier', markers)).toEqual(['slot-closer:""" }', 'heading:## Best Model Identifier']);
    });

    it('leaves ordinary text, code and docstrings alone', () => {
      const python = 'def f():\n    """Return one."""\n    return {"a": 1}\n';
      expect(findMarkers(python, markers)).toEqual([]);
      expect(findMarkers('The model identifier is a name.', markers)).toEqual([]);
    });
  });
});
