/**
 * `aep calibrate` use cases: a calibration of judge X onto the official scale, built either from a ready
 * leaderboard of judge X (no judge spend) or by judging the panel with X (same judge service, cache and Batch API
 * as a run), and the shipped calibration of the gpt5_nano judge (built from the pinned public gpt-5-nano board).
 */
import { parseAnnotations } from '../core/annotations.ts';
import { boardEntries, buildCalibration, type BoardEntry, type CalibrationDocument } from '../core/calibration/document.ts';
import { agreement, type AgreementRow } from '../core/calibration/agreement.ts';
import { checkDrift, driftSampleRows, type DriftCheck, type DriftSample } from '../core/calibration/drift.ts';
import { sha256Hex } from '../adapters/assets.ts';
import type { AssetSource } from '../ports.ts';
import { aggregate } from './aggregate.ts';
import { judgeRun, type JudgeRunOptions } from './judge/judge-run.ts';
import type { JudgePreset } from '../core/judge/presets.ts';

export type CalibrationJudge = CalibrationDocument['judge'];

export function judgeIdentity(preset: Pick<JudgePreset, 'name' | 'model'>, snapshot: string | null = null): CalibrationJudge {
  return { preset: preset.name, model: preset.model, snapshot, scale: `judge:${snapshot ?? preset.model}` };
}

async function officialBoard(assets: AssetSource): Promise<{ entries: BoardEntry[]; file: string; sha256: string }> {
  const lb = await assets.text('leaderboard');
  return { entries: boardEntries(lb.text, lb.asset.source), file: lb.asset.source, sha256: lb.asset.sha256 };
}

export async function calibrateFromLeaderboard(input: {
  judge: CalibrationJudge;
  board: { text: string; file: string };
  assets: AssetSource;
  panel?: readonly string[] | undefined;
  level?: number | undefined;
  now?: Date;
}): Promise<CalibrationDocument> {
  const official = await officialBoard(input.assets);
  return buildCalibration({
    judge: input.judge,
    judgeBoard: boardEntries(input.board.text, input.board.file),
    officialBoard: official.entries,
    panel: input.panel,
    source: { kind: 'leaderboard', file: input.board.file, sha256: sha256Hex(input.board.text) },
    official: { file: official.file, sha256: official.sha256 },
    ...(input.level !== undefined ? { level: input.level } : {}),
    ...(input.now ? { now: input.now } : {}),
  });
}

/** The calibration shipped with the gpt5_nano judge: computed from the pinned public gpt-5-nano leaderboard. */
export async function shippedNanoCalibration(assets: AssetSource, judge: CalibrationJudge): Promise<CalibrationDocument> {
  const board = await assets.text('gpt5-nano-leaderboard');
  const doc = await calibrateFromLeaderboard({ judge, board: { text: board.text, file: board.asset.source }, assets, now: new Date(0) });
  doc.assets['gpt5-nano-leaderboard'] = { source: board.asset.source, sha256: board.asset.sha256 };
  return doc;
}

/** Whether a judge preset ships a ready calibration. */
export function shipsCalibration(preset: Pick<JudgePreset, 'name' | 'officialConfig' | 'model'>): boolean {
  return preset.officialConfig === 'weighted_alpaca_eval_gpt5_nano' || preset.name === 'gpt5_nano' || preset.model === 'gpt-5-nano' || preset.model.startsWith('gpt-5-nano-');
}

export interface PanelFiles {
  outputs: { text: string; file: string; sha256: string };
  annotations: { text: string; file: string; sha256: string };
}

export interface PanelModelResult {
  name: string;
  judge: BoardEntry;
  agreement: AgreementRow;
  preferences: (number | null)[];
  instructions: string[];
  outputs: string[];
  requests: number;
}

export interface CalibrateWithPanelInput {
  judge: CalibrationJudge;
  panel: readonly string[];
  /** Reads a panel model's public outputs and official annotations. */
  files: (model: string) => Promise<PanelFiles>;
  assets: AssetSource & JudgeRunOptions['assets'];
  judgeOptions: Omit<JudgeRunOptions, 'assets' | 'modelOutputs' | 'name' | 'preset'> & { preset: JudgePreset };
  onModel?: (r: PanelModelResult) => void;
  level?: number | undefined;
  now?: Date;
}

/** Judges each panel model with X, computes X's WR and LC with the aggregate service, and fits the bridge. */
export async function calibrateWithPanel(input: CalibrateWithPanelInput): Promise<{ doc: CalibrationDocument; results: PanelModelResult[] }> {
  const results: PanelModelResult[] = [];
  let snapshot: string | null = input.judge.snapshot;
  const assetHashes: CalibrationDocument['assets'] = {};
  for (const model of input.panel) {
    const files = await input.files(model);
    assetHashes[`panel-outputs:${model}`] = { source: files.outputs.file, sha256: files.outputs.sha256 };
    assetHashes[`panel-annotations:${model}`] = { source: files.annotations.file, sha256: files.annotations.sha256 };
    const run = await judgeRun({ ...input.judgeOptions, assets: input.assets, modelOutputs: { text: files.outputs.text, fileName: files.outputs.file }, name: model });
    if (run.summary.failedRows.length > 0) {
      throw new Error(`panel model ${model}: ${run.summary.failedRows.length} rows could not be judged; run aep calibrate again (judged rows are cached)`);
    }
    const agg = await aggregate({
      annotations: { text: JSON.stringify(run.rows), file: `${model} judged by ${input.judge.scale}` },
      modelOutputs: { text: files.outputs.text, file: files.outputs.file },
      name: model, assets: input.assets, checkInstructionDifficulty: false,
    });
    // the model the API answered with (a dated snapshot behind an alias), when the stored completion names it
    const answered = run.rows.map((r) => r.preference_raw_completion?.model).find((m): m is string => typeof m === 'string');
    snapshot ??= answered ?? null;
    const official = parseAnnotations(files.annotations.text, files.annotations.file).rows;
    const byInstruction = new Map(official.map((r) => [r.instruction, r.preference]));
    const prefs = run.rows.map((r) => r.preference);
    const officialPrefs = run.rows.map((r) => byInstruction.get(r.instruction) ?? null);
    const result: PanelModelResult = {
      name: model,
      judge: { name: model, length_controlled_winrate: agg.metrics.length_controlled_winrate, win_rate: agg.metrics.win_rate },
      agreement: agreement(model, prefs, officialPrefs),
      preferences: prefs,
      instructions: run.rows.map((r) => r.instruction),
      outputs: run.rows.map((r) => r.output_2),
      requests: run.summary.requests ?? 0,
    };
    results.push(result);
    input.onModel?.(result);
  }
  const official = await officialBoard(input.assets);
  const doc = buildCalibration({
    judge: snapshot ? { ...input.judge, snapshot, scale: `judge:${snapshot}` } : input.judge,
    judgeBoard: results.map((r) => r.judge),
    officialBoard: official.entries,
    panel: input.panel,
    source: { kind: 'panel', file: 'judged by aep calibrate', sha256: sha256Hex(JSON.stringify(results.map((r) => [r.name, r.preferences]))) },
    official: { file: official.file, sha256: official.sha256 },
    assets: assetHashes,
    agreement: results.map((r) => r.agreement),
    drift_sample: driftSample(results),
    ...(input.level !== undefined ? { level: input.level } : {}),
    ...(input.now ? { now: input.now } : {}),
  });
  return { doc, results };
}

/** The drift sample: fixed, evenly spaced rows of the panel model whose LC is the median of the panel. */
function driftSample(results: readonly PanelModelResult[]): DriftSample {
  const sorted = [...results].sort((a, b) => a.judge.length_controlled_winrate - b.judge.length_controlled_winrate);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  const rows = driftSampleRows(mid.preferences.length);
  return { model: mid.name, rows, instructions: rows.map((i) => mid.instructions[i]!), outputs: rows.map((i) => mid.outputs[i]!), preferences: rows.map((i) => mid.preferences[i] ?? null) };
}


/**
 * Re-judges a calibration's drift sample with the run's judge (the cache makes an unchanged judge free) and
 * compares with the stored preferences.
 */
export async function judgeDriftSample(
  sample: DriftSample,
  options: Omit<JudgeRunOptions, 'modelOutputs' | 'name' | 'rowIndices' | 'prepared' | 'maxInstances'>,
): Promise<{ check: DriftCheck; summary: Awaited<ReturnType<typeof judgeRun>>['summary'] }> {
  const outputs = sample.instructions.map((instruction, i) => ({ instruction, output: sample.outputs[i] ?? '', generator: sample.model }));
  const run = await judgeRun({ ...options, modelOutputs: { text: JSON.stringify(outputs), fileName: `drift sample (${sample.model})` }, name: sample.model });
  const byInstruction = new Map(run.rows.map((r) => [r.instruction, r.preference]));
  return { check: checkDrift(sample, sample.instructions.map((i) => byInstruction.get(i) ?? null)), summary: run.summary };
}
