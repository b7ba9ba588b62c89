/**
 * `calibration.json`: what `aep calibrate` writes and `--calibration` reads. Building it from two boards (judge X's
 * and the official one), reading it back with field-level errors, and applying it to a run's metrics (the
 * `official_scale` block of metrics.json).
 */
import { InputError } from '../errors.ts';
import { parseLeaderboard } from '../report/leaderboard.ts';
import { DEFAULT_LEVEL, fitMap, looTable, predict, type LooRow, type MonotoneMap, type PanelPoint } from './bridge.ts';
import type { AgreementRow } from './agreement.ts';
import type { DriftCheck, DriftSample } from './drift.ts';

export const CALIBRATION_SCHEMA = 'aep-calibration/1';
/** The official board's baseline: 50 on every board by construction, so it says nothing about the map. */
export const BASELINE_MODEL = 'gpt4_1106_preview';

export interface BoardEntry {
  name: string;
  length_controlled_winrate: number;
  win_rate: number;
}

export interface CalibrationModel {
  name: string;
  judge_lc: number;
  predicted_lc: number;
  interval: [number, number];
  judge_win_rate?: number;
  predicted_win_rate?: number;
  win_rate_interval?: [number, number];
  official_lc?: number;
  loo_predicted_lc?: number;
  loo_interval?: [number, number];
}

export interface CalibrationDocument {
  schema: typeof CALIBRATION_SCHEMA;
  judge: { preset: string | null; model: string | null; snapshot: string | null; scale: string };
  created_at: string;
  method: MonotoneMap['method'];
  level: number;
  /** Where judge X's values came from: a ready leaderboard, or this tool judging the panel. */
  source: { kind: 'leaderboard' | 'panel'; file: string; sha256: string };
  /** The official board the map targets. */
  official: { file: string; sha256: string };
  panel: string[];
  assets: Record<string, { source: string; sha256: string }>;
  map: { lc: MonotoneMap; win_rate?: MonotoneMap };
  loo: { lc: LooRow[]; win_rate?: LooRow[] };
  models: CalibrationModel[];
  agreement?: AgreementRow[];
  drift_sample?: DriftSample;
}

/** The rows of a leaderboard CSV with numeric LC and win rate (rows with a blank LC are skipped). */
export function boardEntries(text: string, file: string): BoardEntry[] {
  const board = parseLeaderboard(text, file);
  const out: BoardEntry[] = [];
  board.rows.forEach((r, i) => {
    const lcText = r.cells.length_controlled_winrate ?? '';
    if (lcText.trim() === '') return;
    const lc = Number(lcText);
    const wr = Number(r.cells.win_rate);
    if (!Number.isFinite(lc) || lc < 0 || lc > 100) throw new InputError({ file, row: i + 2, field: 'length_controlled_winrate' }, `expected a percentage, found "${lcText}"`);
    if (!Number.isFinite(wr) || wr < 0 || wr > 100) throw new InputError({ file, row: i + 2, field: 'win_rate' }, `expected a percentage, found "${r.cells.win_rate}"`);
    out.push({ name: r.name, length_controlled_winrate: lc, win_rate: wr });
  });
  return out;
}

export interface BuildInput {
  judge: CalibrationDocument['judge'];
  /** Judge X's results, one per model (the panel and any other model X judged). */
  judgeBoard: readonly BoardEntry[];
  officialBoard: readonly BoardEntry[];
  /** Restrict the panel to these names (default: every model on both boards but the baseline). */
  panel?: readonly string[] | undefined;
  source: CalibrationDocument['source'];
  official: CalibrationDocument['official'];
  assets?: CalibrationDocument['assets'];
  agreement?: AgreementRow[];
  drift_sample?: DriftSample;
  level?: number;
  now?: Date;
}

export function buildCalibration(input: BuildInput): CalibrationDocument {
  const level = input.level ?? DEFAULT_LEVEL;
  const official = new Map(input.officialBoard.map((e) => [e.name, e]));
  const judged = new Map(input.judgeBoard.map((e) => [e.name, e]));
  if (input.panel) {
    for (const name of input.panel) {
      if (!judged.has(name)) throw new InputError({ file: input.source.file, field: name }, 'panel model missing from judge X\'s results');
      if (!official.has(name)) throw new InputError({ file: input.official.file, field: name }, 'panel model missing from the official leaderboard');
    }
  }
  const names = ([...(input.panel ?? [])].length ? [...input.panel!] : input.judgeBoard.map((e) => e.name).filter((n) => official.has(n) && n !== BASELINE_MODEL));
  const lcPoints: PanelPoint[] = names.map((n) => ({ name: n, judge: judged.get(n)!.length_controlled_winrate, official: official.get(n)!.length_controlled_winrate }));
  const wrPoints: PanelPoint[] = names.map((n) => ({ name: n, judge: judged.get(n)!.win_rate, official: official.get(n)!.win_rate }));
  const lcMap = fitMap(lcPoints, level);
  const lcLoo = looTable(lcPoints, level);
  let wrMap: MonotoneMap | undefined;
  let wrLoo: LooRow[] | undefined;
  try {
    wrMap = fitMap(wrPoints, level);
    wrLoo = looTable(wrPoints, level);
  } catch {
    wrMap = undefined; // the win-rate map is optional: LC is the headline
  }
  const looByName = new Map(lcLoo.map((r) => [r.name, r]));
  const models: CalibrationModel[] = input.judgeBoard.map((e) => {
    const p = predict(lcMap, e.length_controlled_winrate);
    const m: CalibrationModel = { name: e.name, judge_lc: e.length_controlled_winrate, predicted_lc: p.predicted, interval: p.interval };
    m.judge_win_rate = e.win_rate;
    if (wrMap) {
      const w = predict(wrMap, e.win_rate);
      m.predicted_win_rate = w.predicted;
      m.win_rate_interval = w.interval;
    }
    const loo = looByName.get(e.name);
    if (loo) {
      m.official_lc = loo.official;
      m.loo_predicted_lc = loo.loo_predicted;
      m.loo_interval = loo.loo_interval;
    }
    return m;
  });
  return {
    schema: CALIBRATION_SCHEMA,
    judge: input.judge,
    created_at: (input.now ?? new Date()).toISOString(),
    method: lcMap.method,
    level,
    source: input.source,
    official: input.official,
    panel: names,
    assets: input.assets ?? {},
    map: wrMap ? { lc: lcMap, win_rate: wrMap } : { lc: lcMap },
    loo: wrLoo ? { lc: lcLoo, win_rate: wrLoo } : { lc: lcLoo },
    models,
    ...(input.agreement ? { agreement: input.agreement } : {}),
    ...(input.drift_sample ? { drift_sample: input.drift_sample } : {}),
  };
}

function checkMap(m: unknown, file: string, field: string): MonotoneMap {
  const o = m as Partial<MonotoneMap> | undefined;
  if (!o || typeof o !== 'object') throw new InputError({ file, field }, 'missing map');
  if (o.method !== 'logit-linear-ols') throw new InputError({ file, field: `${field}.method` }, `unknown map method ${JSON.stringify(o.method)}`);
  for (const k of ['a', 'b'] as const) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw new InputError({ file, field: `${field}.${k}` }, 'expected a finite number');
  }
  if (!(o.b! > 0)) throw new InputError({ file, field: `${field}.b` }, 'the slope must be positive (a monotone map)');
  if (o.half_width_logit !== null && (typeof o.half_width_logit !== 'number' || !(o.half_width_logit >= 0))) {
    throw new InputError({ file, field: `${field}.half_width_logit` }, 'expected a non-negative number or null');
  }
  return o as MonotoneMap;
}

/** Reads calibration.json; every problem names the file and the field. */
export function parseCalibration(text: string, file: string): CalibrationDocument {
  let doc: Partial<CalibrationDocument>;
  try {
    doc = JSON.parse(text) as Partial<CalibrationDocument>;
  } catch (err) {
    throw new InputError({ file }, `not JSON (${(err as Error).message})`, { cause: err });
  }
  if (!doc || typeof doc !== 'object') throw new InputError({ file }, 'expected a JSON object');
  if (doc.schema !== CALIBRATION_SCHEMA) throw new InputError({ file, field: 'schema' }, `expected "${CALIBRATION_SCHEMA}", found ${JSON.stringify(doc.schema)}`);
  if (!doc.judge || typeof doc.judge.scale !== 'string') throw new InputError({ file, field: 'judge.scale' }, 'expected a string');
  if (!doc.source || typeof doc.source.sha256 !== 'string') throw new InputError({ file, field: 'source.sha256' }, 'expected a string');
  checkMap(doc.map?.lc, file, 'map.lc');
  if (doc.map?.win_rate !== undefined) checkMap(doc.map.win_rate, file, 'map.win_rate');
  return doc as CalibrationDocument;
}

/** The `official_scale` block of metrics.json: the run's judge-scale numbers carried to the official scale. */
export interface OfficialScaleBlock {
  length_controlled_winrate: number;
  interval: [number, number];
  win_rate?: number;
  win_rate_interval?: [number, number];
  level: number;
  calibration: { judge: string; source: string; sha256: string; method: string; file: string; file_sha256: string };
  /** The drift watch of this run (when the calibration stores a drift sample). */
  drift?: DriftCheck;
}

export function officialScale(
  cal: CalibrationDocument,
  run: { length_controlled_winrate: number; win_rate: number },
  file: { path: string; sha256: string },
): OfficialScaleBlock {
  const lc = predict(cal.map.lc, run.length_controlled_winrate);
  const block: OfficialScaleBlock = {
    length_controlled_winrate: lc.predicted, interval: lc.interval, level: cal.level,
    calibration: { judge: cal.judge.scale, source: cal.source.file, sha256: cal.source.sha256, method: cal.method, file: file.path, file_sha256: file.sha256 },
  };
  if (cal.map.win_rate) {
    const wr = predict(cal.map.win_rate, run.win_rate);
    block.win_rate = wr.predicted;
    block.win_rate_interval = wr.interval;
  }
  return block;
}

/**
 * The names by which a calibration's judge is known (preset, model, snapshot, scale), to check that a run was
 * judged by the judge the calibration was made for.
 */
export function calibrationJudgeNames(cal: CalibrationDocument): string[] {
  return [cal.judge.preset, cal.judge.model, cal.judge.snapshot, cal.judge.scale].filter((x): x is string => !!x);
}
