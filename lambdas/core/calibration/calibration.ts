/**
 * Calibration documents (`calibration.json`): a judge's bridge to the official scale, built from a panel of
 * leaderboard models, and its use on a new model's numbers (pure).
 */
import { InputError } from '../errors.ts';
import type { Leaderboard } from '../report/leaderboard.ts';
import { buildBridge, predict, type Bridge, type LogitLinearMap, type PanelPoint } from './bridge.ts';

export const CALIBRATION_METHOD = 'logit-linear least squares over the panel; 95 % prediction interval from leave-one-model-out errors (t, n − 1)';

/** Where a number sits: the official leaderboard's judge, or another judge's own scale. */
export const OFFICIAL_SCALE = 'alpaca_eval_2';

export interface SourceRef {
  source: string;
  sha256: string;
}

export interface CalibrationModel {
  name: string;
  judge_lc: number;
  predicted_lc: number;
  interval: [number, number];
  judge_wr?: number;
  predicted_wr?: number;
  wr_interval?: [number, number];
  /** panel models (on both boards) */
  official_lc?: number;
  loo_predicted_lc?: number;
  loo_interval?: [number, number];
  official_wr?: number;
  /** row-level agreement with the official judge (panel judged here) */
  agreement?: PanelAgreement;
}

export interface PanelAgreement {
  /** rows both judges decided (no tie, no NaN) */
  rows: number;
  /** share of those on the same side */
  same_side: number;
  /** Pearson correlation of the preferences */
  correlation: number;
}

export interface ScaleFit {
  map: LogitLinearMap;
  loo_coverage: number;
  loo_mae: number;
}

export interface CalibrationDocument {
  version: 1;
  judge: { name: string; model: string | null; snapshot: string | null };
  created_at: string;
  method: string;
  source: { kind: 'leaderboard' | 'panel'; judge_leaderboard?: SourceRef; official_leaderboard: SourceRef; assets?: Record<string, SourceRef> };
  lc: ScaleFit;
  win_rate: ScaleFit | null;
  models: CalibrationModel[];
  /** Drift watch: the judge's judge-order preferences on a fixed sample, by cache key (panel calibrations only). */
  drift_sample?: { model: string; rows: { index: number; preference: number }[] };
}

/** One model's numbers on a leaderboard. */
export interface BoardNumbers {
  lc: number;
  wr: number;
}

function numberCell(board: Leaderboard, row: Leaderboard['rows'][number], column: string, file: string, index: number): number {
  const text = row.cells[column];
  const v = text === undefined || text === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new InputError({ file, row: index + 2, field: column }, `"${text ?? ''}" is not a number`);
  return v;
}

/** Model name → LC and win rate of every row of a leaderboard. */
export function boardNumbers(board: Leaderboard, file: string): Map<string, BoardNumbers> {
  const out = new Map<string, BoardNumbers>();
  board.rows.forEach((row, i) => {
    out.set(row.name, { lc: numberCell(board, row, 'length_controlled_winrate', file, i), wr: numberCell(board, row, 'win_rate', file, i) });
  });
  return out;
}

function scaleFit(bridge: Bridge): ScaleFit {
  return { map: bridge.map, loo_coverage: bridge.looCoverage, loo_mae: bridge.looMae };
}

/**
 * Builds a calibration from a judge's numbers for some models and the official leaderboard. The panel is every model
 * on both (or those named in `panel`), minus the baseline (50 on every scale by construction, so it says nothing).
 */
export function buildCalibration(options: {
  judge: CalibrationDocument['judge'];
  judgeNumbers: ReadonlyMap<string, BoardNumbers>;
  official: ReadonlyMap<string, BoardNumbers>;
  baseline: string;
  panel?: readonly string[];
  source: CalibrationDocument['source'];
  now: Date;
  agreement?: ReadonlyMap<string, PanelAgreement>;
}): CalibrationDocument {
  const names = [...options.judgeNumbers.keys()].filter((n) => n !== options.baseline && options.official.has(n)
    && (!options.panel || options.panel.includes(n)));
  const points = (pick: (b: BoardNumbers) => number): PanelPoint[] =>
    names.map((name) => ({ name, judge: pick(options.judgeNumbers.get(name)!), official: pick(options.official.get(name)!) }));
  const lc = buildBridge(points((b) => b.lc));
  let wr: Bridge | null = null;
  try {
    wr = buildBridge(points((b) => b.wr));
  } catch {
    wr = null; // the LC bridge is the product; a win-rate map that cannot be fitted is left out
  }
  const lcLoo = new Map(lc.loo.map((r) => [r.name, r]));
  const models: CalibrationModel[] = [...options.judgeNumbers].filter(([name]) => name !== options.baseline).map(([name, b]) => {
    const p = predict(lc.map, b.lc);
    const m: CalibrationModel = { name, judge_lc: b.lc, predicted_lc: p.predicted, interval: p.interval, judge_wr: b.wr };
    if (wr) {
      const q = predict(wr.map, b.wr);
      m.predicted_wr = q.predicted;
      m.wr_interval = q.interval;
    }
    const loo = lcLoo.get(name);
    if (loo) {
      m.official_lc = loo.official;
      m.loo_predicted_lc = loo.loo_predicted;
      m.loo_interval = loo.loo_interval;
      m.official_wr = options.official.get(name)!.wr;
    }
    const agreement = options.agreement?.get(name);
    if (agreement) m.agreement = agreement;
    return m;
  });
  return {
    version: 1, judge: options.judge, created_at: options.now.toISOString(), method: CALIBRATION_METHOD,
    source: options.source, lc: scaleFit(lc), win_rate: wr ? scaleFit(wr) : null, models,
  };
}

/** What a calibration says about a new model's numbers: the `official_scale` block of the metrics. */
export interface OfficialScaleEstimate {
  length_controlled_winrate: number;
  interval: [number, number];
  win_rate: number | null;
  win_rate_interval: [number, number] | null;
  calibration: { judge: string; source: string; sha256: string; method: string; panel: number; loo_coverage: number };
}

export function applyCalibration(doc: CalibrationDocument, numbers: BoardNumbers, ref: SourceRef): OfficialScaleEstimate {
  const lc = predict(doc.lc.map, numbers.lc);
  const wr = doc.win_rate ? predict(doc.win_rate.map, numbers.wr) : null;
  return {
    length_controlled_winrate: lc.predicted, interval: lc.interval,
    win_rate: wr?.predicted ?? null, win_rate_interval: wr?.interval ?? null,
    calibration: { judge: doc.judge.name, source: ref.source, sha256: ref.sha256, method: doc.method, panel: doc.lc.map.n, loo_coverage: doc.lc.loo_coverage },
  };
}

/** Parses calibration.json text (checked shape: the fields the estimate needs). */
export function parseCalibration(text: string, file: string): CalibrationDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError({ file }, `invalid JSON: ${(err as Error).message}`);
  }
  const d = doc as Partial<CalibrationDocument>;
  if (typeof d !== 'object' || d === null || d.version !== 1) throw new InputError({ file, field: 'version' }, 'not a calibration document (version 1)');
  const map = d.lc?.map;
  for (const k of ['intercept', 'slope', 'looRmsLogit', 't95'] as const) {
    if (typeof map?.[k] !== 'number') throw new InputError({ file, field: `lc.map.${k}` }, 'missing or not a number');
  }
  if (typeof d.judge?.name !== 'string') throw new InputError({ file, field: 'judge.name' }, 'missing');
  return d as CalibrationDocument;
}
