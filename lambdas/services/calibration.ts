/**
 * Calibrations as a use case: built from a judge's public leaderboard and the official one (no judge spend), read
 * from a file, or — for a judge that ships one (gpt-5-nano) — built on the fly from its pinned public leaderboard.
 */
import { buildCalibration, boardNumbers, parseCalibration, type CalibrationDocument, type SourceRef } from '../core/calibration/calibration.ts';
import { findJudgePreset, type JudgePreset } from '../core/judge/presets.ts';
import { parseLeaderboard } from '../core/report/leaderboard.ts';
import type { AssetSource } from '../ports.ts';

/** The reference model of AlpacaEval 2.0: 50 on every judge's scale by construction. */
export const BASELINE_MODEL = 'gpt4_1106_preview';

export interface LoadedCalibration {
  doc: CalibrationDocument;
  ref: SourceRef;
}

/** A calibration from two leaderboards: the judge's and the official one. */
export function calibrationFromLeaderboards(options: {
  judge: CalibrationDocument['judge'];
  judgeBoard: { text: string; ref: SourceRef };
  official: { text: string; ref: SourceRef };
  panel?: readonly string[];
  now: Date;
}): CalibrationDocument {
  return buildCalibration({
    judge: options.judge,
    judgeNumbers: boardNumbers(parseLeaderboard(options.judgeBoard.text, options.judgeBoard.ref.source), options.judgeBoard.ref.source),
    official: boardNumbers(parseLeaderboard(options.official.text, options.official.ref.source), options.official.ref.source),
    baseline: BASELINE_MODEL,
    ...(options.panel ? { panel: options.panel } : {}),
    source: { kind: 'leaderboard', judge_leaderboard: options.judgeBoard.ref, official_leaderboard: options.official.ref },
    now: options.now,
  });
}

/** The ready calibration of a judge that has a public leaderboard (gpt5_nano), or undefined for any other judge. */
export async function shippedCalibration(preset: JudgePreset, assets: AssetSource, now: Date): Promise<LoadedCalibration | undefined> {
  if (!preset.calibrationLeaderboard) return undefined;
  const judgeBoard = await assets.text(preset.calibrationLeaderboard);
  const official = await assets.text('leaderboard');
  const ref = (a: { source: string; sha256: string }): SourceRef => ({ source: a.source, sha256: a.sha256 });
  const doc = calibrationFromLeaderboards({
    judge: { name: preset.name, model: preset.model, snapshot: null },
    judgeBoard: { text: judgeBoard.text, ref: ref(judgeBoard.asset) },
    official: { text: official.text, ref: ref(official.asset) },
    now,
  });
  return { doc, ref: ref(judgeBoard.asset) };
}

/** A calibration given as a file's text. */
export function loadCalibration(text: string, source: string, sha256: string): LoadedCalibration {
  return { doc: parseCalibration(text, source), ref: { source, sha256 } };
}

/** The preset an annotator names, if any. */
export function presetOfAnnotator(annotator: string | null | undefined): JudgePreset | undefined {
  return annotator ? findJudgePreset(annotator) : undefined;
}
