/**
 * The run report's data model: everything the page shows, computed from the run folder's contents (passed in as
 * text and plain data; no I/O here). The page templates only format this model.
 */
import type { EngineUse } from '../judge/engine-use.ts';
import type { OfficialScaleBlock } from '../calibration/document.ts';
import { parseAnnotations } from '../annotations.ts';
import type { GenerationManifest } from '../generation/manifest.ts';
import { findJudgePreset } from '../judge/presets.ts';
import type { JudgeIdentity } from '../judge/scale.ts';
import { OFFICIAL_SCALE } from '../judge/scale.ts';
import { averageLength } from '../metrics/win-rate.ts';
import { codePointLength } from '../metrics/numeric.ts';
import type { RunManifest } from '../run/manifest.ts';
import { leaderboardView, type LeaderboardView } from './leaderboard-view.ts';
import { scanOutputs, type ManipulationReport } from './manipulation.ts';
import {
  lengthDifferenceBuckets, lengthDistributions, perDataset, preferenceHistogram,
  type GroupStat, type LengthDistributions, type PreferenceHistogram,
} from './report-stats.ts';
import { SIMILAR_SIZE_MODELS, type SimilarModel } from './similar-models.ts';
import { strengthsAndWeaknesses, type StrengthsWeaknesses } from './strengths.ts';

/** The fields of `metrics.json` the report reads (the aggregate step's MetricsDocument has them all). */
export interface ReportMetrics {
  name: string;
  win_rate: number;
  standard_error: number;
  length_controlled_winrate: number;
  lc_standard_error: number;
  discrete_win_rate: number;
  n_wins: number;
  n_wins_base: number;
  n_draws: number;
  n_total: number;
  avg_length: number;
  n_rows?: number;
  n_failed_annotations?: number;
  annotator?: string | null;
  official_scale?: OfficialScaleBlock;
  lc_sensitivity: { band: [number, number] };
  /** 95 % bootstrap intervals (absent in metrics written before them, null when the bootstrap was off) */
  length_controlled_winrate_ci95?: [number, number] | null;
  win_rate_ci95?: [number, number] | null;
  bootstrap?: { replicates: number } | null;
  extreme_change_warning: boolean;
  warnings: string[];
  leaderboard: { rank: number | undefined; size: number };
  /** the judge and the scale of the numbers (absent in metrics written before they were recorded) */
  judge?: JudgeIdentity;
}

export interface RunReportInput {
  manifest: RunManifest;
  metrics: ReportMetrics;
  leaderboardCsv: string;
  annotationsJson: string;
  /** `lc_glm.json` (its per-row `glm_preference` gives length-controlled win rates per group). */
  lcGlmJson?: string;
  /** `generation.json`, absent when the outputs were given. */
  generationJson?: string;
  /** The judge template the run used (`inputs/judge_template.txt`), for the manipulation markers. */
  judgeTemplate?: string;
  similarModels?: readonly SimilarModel[];
}

export interface GenerationSettings {
  source: 'generated' | 'given outputs';
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed: number | null;
  promptMode: string | null;
  engine: string | null;
  tokensGenerated: number | null;
  tokensPerSecond: number | null;
  rowsAtTokenLimit: number | null;
  wallTimeMs: number | null;
}

export interface Headline {
  lc: { value: number; se: number; band: [number, number]; ci95: [number, number] | null; replicates: number | null };
  winRate: { value: number; se: number; ci95: [number, number] | null };
  discreteWinRate: number;
  wins: number;
  losses: number;
  draws: number;
  avgLength: number;
  referenceAvgLength: number;
  /** `comparable`: the leaderboard's own judge (its preset, no other model), so the numbers compare with the board. */
  judge: {
    preset: string; model: string | null; annotator: string | null; mode: string; comparable: boolean;
    /** the snapshots that answered, and the scale of the numbers (`alpaca_eval_2` or `judge:<snapshot>`) */
    snapshots: string[]; scale: string;
  };
  rows: { total: number; judged: number; failed: number };
  tokens: { judgePrompt: number; judgeCompletion: number; generated: number };
  costUsd: number;
  /** A self-hosted judge's engine: GPU-minutes and their list-price estimate (null: an API judge). */
  judgeEngine: EngineUse | null;
  generation: GenerationSettings;
  extremeChangeWarning: boolean;
  /** The official-scale estimate of a run judged by another judge, through its calibration (null: none). */
  officialScale: { lc: number; interval: [number, number]; level: number; judgeScale: string; drift: boolean | null } | null;
}

/** One row of the examples browser. */
export interface ExampleRow {
  instruction: string;
  dataset: string;
  model: string;
  reference: string;
  /** 1 (reference wins) … 2 (model wins), 1.5 tie; null when the judge failed. */
  preference: number | null;
  /** The LC GLM's per-row prediction (0…1), when known. */
  glm: number | null;
  lengthModel: number;
  lengthReference: number;
  /** Ids of the judge-template markers found in the model output. */
  flags: string[];
}

export interface RunReportModel {
  name: string;
  runId: string;
  model: string;
  revision: string | null;
  createdAt: string;
  status: string;
  headline: Headline;
  leaderboard: LeaderboardView;
  perDataset: GroupStat[];
  lengths: LengthDistributions;
  preferences: PreferenceHistogram;
  lengthBuckets: GroupStat[];
  strengths: StrengthsWeaknesses;
  manipulation: ManipulationReport;
  rows: ExampleRow[];
  stages: { name: string; status: string; seconds: number | null }[];
  warnings: string[];
}

function glmPredictions(text: string | undefined, n: number): number[] | undefined {
  if (!text) return undefined;
  const g = (JSON.parse(text) as { glm_preference?: unknown }).glm_preference;
  return Array.isArray(g) && g.length === n && g.every((x) => typeof x === 'number') ? (g as number[]) : undefined;
}

function generationSettings(man: RunManifest, text: string | undefined): GenerationSettings {
  const cfg = man.config.generation;
  const base: GenerationSettings = {
    source: text ? 'generated' : 'given outputs', maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, topP: cfg.topP,
    seed: cfg.seed ?? null, promptMode: null, engine: null, tokensGenerated: null, tokensPerSecond: null, rowsAtTokenLimit: null, wallTimeMs: null,
  };
  if (!text) return base;
  const g = JSON.parse(text) as Partial<GenerationManifest>;
  return {
    ...base,
    ...(g.decoding ? { maxNewTokens: g.decoding.maxNewTokens, temperature: g.decoding.temperature, topP: g.decoding.topP, seed: g.decoding.seed } : {}),
    promptMode: g.promptMode?.used ?? null,
    engine: g.engine?.kind ?? null,
    tokensGenerated: g.stats?.tokensGenerated ?? null,
    tokensPerSecond: g.stats?.tokensPerSecond ?? null,
    rowsAtTokenLimit: g.stats?.rowsAtTokenLimit ?? null,
    wallTimeMs: g.stats?.wallTimeMs ?? null,
  };
}

export function buildRunReportModel(input: RunReportInput): RunReportModel {
  const { manifest: man, metrics: m } = input;
  const parsed = parseAnnotations(input.annotationsJson, 'annotations.json');
  const rows = parsed.rows;
  const prefs = rows.map((r) => r.preference);
  const datasets = rows.map((r) => r.dataset ?? 'unknown');
  const glm = glmPredictions(input.lcGlmJson, rows.length);
  const lenModel = rows.map((r) => codePointLength(r.output_2));
  const lenRef = rows.map((r) => codePointLength(r.output_1));
  const { report: manipulation, flagsByRow } = scanOutputs(rows.map((r) => r.output_2), prefs, input.judgeTemplate);
  const cfg = man.config;
  const preset = findJudgePreset(cfg.judge.preset);
  return {
    name: m.name, runId: man.runId, model: cfg.model, revision: cfg.revision ?? null, createdAt: man.createdAt, status: man.status,
    headline: {
      lc: {
        value: m.length_controlled_winrate, se: m.lc_standard_error, band: m.lc_sensitivity.band,
        ci95: m.length_controlled_winrate_ci95 ?? null, replicates: m.bootstrap?.replicates ?? null,
      },
      winRate: { value: m.win_rate, se: m.standard_error, ci95: m.win_rate_ci95 ?? null },
      discreteWinRate: m.discrete_win_rate,
      wins: m.n_wins, losses: m.n_wins_base, draws: m.n_draws,
      avgLength: m.avg_length,
      referenceAvgLength: averageLength(rows.map((r) => r.output_1)),
      judge: {
        preset: cfg.judge.preset, model: cfg.judge.model ?? preset?.model ?? null, annotator: m.annotator ?? parsed.annotator ?? null, mode: cfg.judge.mode,
        comparable: m.judge ? m.judge.scale === OFFICIAL_SCALE
          : preset?.comparableToLeaderboard === true && (cfg.judge.model === undefined || cfg.judge.model === preset.model),
        snapshots: Object.keys(m.judge?.snapshots ?? {}),
        scale: m.judge?.scale ?? (preset?.comparableToLeaderboard ? OFFICIAL_SCALE : `judge:${cfg.judge.model ?? preset?.model ?? cfg.judge.preset}`),
      },
      rows: { total: m.n_rows ?? rows.length, judged: m.n_total, failed: m.n_failed_annotations ?? prefs.filter((p) => p === null).length },
      tokens: { ...man.tokens },
      costUsd: man.costUsd.judge,
      judgeEngine: (man.stages.judge?.details as { engine?: EngineUse } | undefined)?.engine ?? null,
      generation: generationSettings(man, input.generationJson),
      extremeChangeWarning: m.extreme_change_warning,
      officialScale: m.official_scale ? {
        lc: m.official_scale.length_controlled_winrate, interval: m.official_scale.interval, level: m.official_scale.level,
        judgeScale: m.official_scale.calibration.judge, drift: m.official_scale.drift ? m.official_scale.drift.drift : null,
      } : null,
    },
    leaderboard: leaderboardView(input.leaderboardCsv, m.name, input.similarModels ?? SIMILAR_SIZE_MODELS),
    perDataset: perDataset(datasets, prefs, glm),
    lengths: lengthDistributions(lenModel, lenRef),
    preferences: preferenceHistogram(prefs),
    lengthBuckets: lengthDifferenceBuckets(lenModel, lenRef, prefs),
    strengths: strengthsAndWeaknesses(rows.map((r, i) => ({ instruction: r.instruction, dataset: datasets[i]!, preference: r.preference })), { overallWinRate: m.win_rate }),
    manipulation,
    rows: rows.map((r, i) => ({
      instruction: r.instruction, dataset: datasets[i]!, model: r.output_2, reference: r.output_1, preference: r.preference === 0 ? 1.5 : r.preference,
      glm: glm ? glm[i]! : null, lengthModel: lenModel[i]!, lengthReference: lenRef[i]!, flags: flagsByRow[i]!,
    })),
    stages: Object.entries(man.stages).map(([name, s]) => ({ name, status: s?.status ?? '', seconds: s?.seconds ?? null })),
    warnings: m.warnings,
  };
}
