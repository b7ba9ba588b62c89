/**
 * Results that travel: a run's headline figures as the Hugging Face model-card `model-index` YAML block and as a
 * flat key→value record for experiment trackers (W&B / MLflow style). Pure: reads the manifest and metrics
 * document a run folder holds, returns text.
 */
import { resolveJudge } from '../judge/presets.ts';
import { OFFICIAL_SCALE } from '../judge/scale.ts';
import type { RunManifest } from './manifest.ts';
import { displayName } from './run-config.ts';

/** The metrics fields an export reads; the 95 % intervals are present only when aggregation computed them. */
export interface ExportMetrics {
  name: string;
  baseline: string;
  length_controlled_winrate: number;
  lc_standard_error: number;
  win_rate: number;
  standard_error: number;
  n_total: number;
  avg_length: number;
  length_controlled_winrate_ci95?: [number, number];
  win_rate_ci95?: [number, number];
  /** the judge block (metrics written since judges are named): the scale of the numbers and who answered */
  judge?: { scale: string; snapshots: Record<string, number> };
}

export interface ExportFacts {
  model: string;
  name: string;
  revision: string | null;
  runId: string;
  date: string;
  judge: { preset: string; model: string; comparableToLeaderboard: boolean };
  baseline: string;
  scale: string;
  /** `alpaca_eval_2` (the leaderboard's judge) or `judge:<snapshot>`: the numbers compare only on the same scale */
  judgeScale: string;
  evalSet: { repository: string; revision: string; sha256: string | null };
  lc: { value: number; se: number; ci95: [number, number] | null };
  winRate: { value: number; se: number; ci95: [number, number] | null };
  nTotal: number;
  avgLength: number;
}

export const EVAL_SET_REPOSITORY = 'tatsu-lab/alpaca_eval';
const SCALE = 'percent (0-100) of pairwise preferences over the baseline';

function interval(v: unknown): [number, number] | null {
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? [v[0], v[1]] : null;
}

function round(x: number, digits = 4): number {
  return Number(x.toFixed(digits));
}

/** The facts both formats show, from a finished run's manifest and metrics document. */
export function exportFacts(manifest: RunManifest, metrics: ExportMetrics): ExportFacts {
  const judge = resolveJudge({ judge: manifest.config.judge.preset, judgeModel: manifest.config.judge.model });
  const judgeScale = metrics.judge?.scale ?? (judge.comparableToLeaderboard ? OFFICIAL_SCALE : `judge:${judge.model}`);
  const snapshots = Object.keys(metrics.judge?.snapshots ?? {});
  return {
    model: manifest.config.model,
    name: metrics.name ?? displayName(manifest.config),
    revision: manifest.config.revision ?? null,
    runId: manifest.runId,
    date: manifest.updatedAt.slice(0, 10),
    judge: { preset: judge.name, model: snapshots.length === 1 ? snapshots[0]! : judge.model, comparableToLeaderboard: judgeScale === OFFICIAL_SCALE },
    baseline: metrics.baseline,
    scale: SCALE,
    judgeScale,
    evalSet: { repository: EVAL_SET_REPOSITORY, revision: manifest.versions.alpacaEvalCommit, sha256: manifest.assets['eval-set']?.sha256 ?? null },
    lc: { value: metrics.length_controlled_winrate, se: metrics.lc_standard_error, ci95: interval(metrics.length_controlled_winrate_ci95) },
    winRate: { value: metrics.win_rate, se: metrics.standard_error, ci95: interval(metrics.win_rate_ci95) },
    nTotal: metrics.n_total,
    avgLength: metrics.avg_length,
  };
}

/** A YAML scalar: numbers as they are, strings double-quoted (a JSON string is a valid YAML double-quoted scalar). */
function scalar(v: string | number | boolean): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function metricLines(type: string, name: string, m: ExportFacts['lc'], f: ExportFacts): string[] {
  const lines = [
    `      - type: ${type}`,
    `        name: ${scalar(name)}`,
    `        value: ${round(m.value)}`,
    `        verified: false`,
    `        args:`,
    `          judge: ${scalar(f.judge.preset)}`,
    `          judge_model: ${scalar(f.judge.model)}`,
    `          baseline: ${scalar(f.baseline)}`,
    `          scale: ${scalar(f.scale)}`,
    `          judge_scale: ${scalar(f.judgeScale)}`,
    `          standard_error: ${round(m.se)}`,
  ];
  if (m.ci95) lines.push(`          ci95_low: ${round(m.ci95[0])}`, `          ci95_high: ${round(m.ci95[1])}`);
  return lines;
}

/** The `model-index` block of a Hugging Face model card's YAML metadata, ready to paste between the `---` lines. */
export function modelIndexYaml(f: ExportFacts): string {
  const lines = [
    'model-index:',
    `  - name: ${scalar(f.name)}`,
    '    results:',
    '      - task:',
    '          type: text-generation',
    '          name: Text Generation',
    '        dataset:',
    '          name: AlpacaEval 2.0',
    `          type: ${scalar(f.evalSet.repository)}`,
    '          config: alpaca_eval_gpt4_baseline',
    '          split: eval',
    `          revision: ${scalar(f.evalSet.revision)}`,
    '        metrics:',
    ...metricLines('length_controlled_winrate', 'AlpacaEval 2.0 LC win rate', f.lc, f).map((l) => `  ${l}`),
    ...metricLines('win_rate', 'AlpacaEval 2.0 win rate', f.winRate, f).map((l) => `  ${l}`),
    '        source:',
    `          name: ${scalar(`alpaca-eval-pipeline run ${f.runId} (${f.date}, ${f.nTotal} instructions)`)}`,
    '          url: https://github.com/tatsu-lab/alpaca_eval',
  ];
  return `${lines.join('\n')}\n`;
}

/** A flat record for experiment trackers: one key per figure, strings and numbers only. */
export function flatRecord(f: ExportFacts): Record<string, string | number | boolean | null> {
  const rec: Record<string, string | number | boolean | null> = {
    'alpaca_eval2/lc_win_rate': f.lc.value,
    'alpaca_eval2/lc_standard_error': f.lc.se,
    'alpaca_eval2/win_rate': f.winRate.value,
    'alpaca_eval2/standard_error': f.winRate.se,
  };
  if (f.lc.ci95) Object.assign(rec, { 'alpaca_eval2/lc_win_rate_ci95_low': f.lc.ci95[0], 'alpaca_eval2/lc_win_rate_ci95_high': f.lc.ci95[1] });
  if (f.winRate.ci95) Object.assign(rec, { 'alpaca_eval2/win_rate_ci95_low': f.winRate.ci95[0], 'alpaca_eval2/win_rate_ci95_high': f.winRate.ci95[1] });
  Object.assign(rec, {
    'alpaca_eval2/n_total': f.nTotal,
    'alpaca_eval2/avg_length': f.avgLength,
    'alpaca_eval2/judge': f.judge.preset,
    'alpaca_eval2/judge_model': f.judge.model,
    'alpaca_eval2/comparable_to_leaderboard': f.judge.comparableToLeaderboard,
    'alpaca_eval2/baseline': f.baseline,
    'alpaca_eval2/scale': f.scale,
    'alpaca_eval2/judge_scale': f.judgeScale,
    'alpaca_eval2/eval_set_revision': f.evalSet.revision,
    'alpaca_eval2/eval_set_sha256': f.evalSet.sha256,
    'alpaca_eval2/model': f.model,
    'alpaca_eval2/name': f.name,
    'alpaca_eval2/revision': f.revision,
    'alpaca_eval2/run_id': f.runId,
    'alpaca_eval2/date': f.date,
  });
  return rec;
}
