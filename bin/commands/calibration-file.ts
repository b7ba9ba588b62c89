/** Reads `--calibration FILE` and checks it was made for the judge of the annotations it is applied to. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sha256Hex } from '../../lambdas/adapters/assets.ts';
import { calibrationJudgeNames, parseCalibration, type CalibrationDocument } from '../../lambdas/core/calibration/document.ts';
import { InputError } from '../../lambdas/core/errors.ts';
import { DEFAULT_JUDGE_PRESET, findJudgePreset } from '../../lambdas/core/judge/presets.ts';

export async function loadCalibrationFile(file: string): Promise<{ doc: CalibrationDocument; path: string; sha256: string }> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({ file: path }, `cannot read the calibration (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  return { doc: parseCalibration(text, path), path, sha256: sha256Hex(text) };
}

/** Refuses a calibration of another judge than the annotator named in the annotations (when they name one). */
export function checkCalibrationJudge(cal: { doc: CalibrationDocument; path: string }, annotator: string | null | undefined): void {
  if (!annotator) return;
  const preset = findJudgePreset(annotator);
  if (preset?.name === DEFAULT_JUDGE_PRESET) {
    throw new InputError({ file: cal.path, field: 'judge' }, `these annotations are by the official judge (${annotator}): already on the official scale, a calibration does not apply`);
  }
  const names = calibrationJudgeNames(cal.doc);
  const known = [annotator, preset?.name, preset?.model, preset?.officialConfig].filter((x): x is string => !!x);
  if (!known.some((k) => names.includes(k))) {
    throw new InputError({ file: cal.path, field: 'judge' }, `calibration is for judge ${cal.doc.judge.scale} (${names.join(', ')}), but the annotations were judged by ${annotator}`);
  }
}

export async function readCalibration(file: string, annotations: { text: string }): Promise<{ doc: CalibrationDocument; path: string; sha256: string }> {
  const cal = await loadCalibrationFile(file);
  let annotator: string | undefined;
  try {
    const rows = JSON.parse(annotations.text) as { annotator?: unknown }[];
    annotator = Array.isArray(rows) && typeof rows[0]?.annotator === 'string' ? rows[0].annotator : undefined;
  } catch {
    annotator = undefined; // the aggregate service reports unreadable annotations with its own error
  }
  checkCalibrationJudge(cal, annotator);
  return cal;
}
