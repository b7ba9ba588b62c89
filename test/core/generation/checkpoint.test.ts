import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambdas/core/errors.ts';
import { checkpointKey, parseCheckpointRecord, serialiseCheckpointRecord, settingsDifferences, settingsOf } from '../../../lambdas/core/generation/checkpoint.ts';
import { resolveDecoding } from '../../../lambdas/core/generation/decoding.ts';
import type { RowStats } from '../../../lambdas/core/generation/stats.ts';

const row = (completionTokens: number | null, latencyMs: number, finishReason: string | null = 'stop'): RowStats =>
  ({ completionTokens, promptTokens: 10, latencyMs, finishReason });

describe('checkpoint', () => {
  const settings = settingsOf({ model: 'm', revision: null, decoding: resolveDecoding(), promptMode: { kind: 'template', template: 'Q:{instruction}', source: 'f' } });

  it('names one object per eval row', () => {
    expect(checkpointKey(42)).toBe('generation-checkpoint/row-00042.json');
  });

  it('round-trips a record and refuses anything else', () => {
    const text = serialiseCheckpointRecord({ settings, evalIndex: 3, instruction: 'i', output: ' o ', mode: 'template', stats: row(5, 10) });
    expect(parseCheckpointRecord(text, 'k')).toMatchObject({ version: 1, evalIndex: 3, output: ' o ', settings });
    expect(() => parseCheckpointRecord('{"version":1', 'k')).toThrow(InputError);
    expect(() => parseCheckpointRecord('{"version":2}', 'k')).toThrow(/not a version 1 checkpoint record/);
    expect(() => parseCheckpointRecord('{"version":1,"evalIndex":1}', 'k')).toThrow(/lacks/);
  });

  it('hashes the template and lists every differing setting', () => {
    expect(settings.templateSha256).toMatch(/^[0-9a-f]{64}$/);
    const other = settingsOf({ model: 'm', revision: 'r', decoding: resolveDecoding({ seed: 1 }), promptMode: { kind: 'auto' } });
    expect(settingsDifferences(settings, settings)).toEqual([]);
    expect(settingsDifferences(settings, other)).toEqual([
      'decoding.seed: null → 1', 'promptMode: "template" → "auto"', 'revision: null → "r"',
      `templateSha256: "${settings.templateSha256}" → null`,
    ]);
  });
});

