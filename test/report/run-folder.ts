/**
 * Builds a complete run folder (`runs/<id>/` in a directory store) from real fixture annotations, as the workflow
 * would leave it after Aggregate: manifest, config, annotations, metrics (with 200-replicate bootstrap intervals),
 * leaderboard, lc_glm, the judge template and inputs/df_gamed.csv — through the real aggregate service. Reports are then rendered from it like from any run.
 */
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { newManifest, type RunManifest } from '../../lambdas/core/run/manifest.ts';
import { RUN_FILES, runPrefix } from '../../lambdas/core/run/layout.ts';
import { RunConfigSchema, runIdFor, type RunConfigInput } from '../../lambdas/core/run/run-config.ts';
import type { AssetName } from '../../lambdas/core/assets-catalog.ts';
import { aggregate, lcDetails } from '../../lambdas/services/aggregate.ts';
import { inThreadRunner } from '../../lambdas/services/lc-bootstrap.ts';
import type { AssetSource } from '../../lambdas/ports.ts';
import { RunFolder } from '../../lambdas/services/workflow/run-store.ts';
import { readFixtureText } from '../support/fixtures.ts';

export const RUN_FOLDER_FIXTURES = [
  'judge/alpaca_eval_clf.txt', 'standin/df_gamed.csv', 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv',
];

const FILES: Partial<Record<AssetName, string>> = {
  gamed: 'standin/df_gamed.csv',
  leaderboard: 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv',
  'judge-template': 'judge/alpaca_eval_clf.txt',
};

/** Benchmark assets read from the fixtures. */
export function fixtureAssets(): AssetSource {
  return {
    async text(name) {
      const file = FILES[name];
      if (!file) throw new Error(`no fixture for asset ${name}`);
      return { text: readFixtureText(file), asset: { name, source: file, origin: 'flag', sha256: 'test', pinnedSha256: null, matchesPin: null, fromCache: false } };
    },
  };
}

export interface AnnotationRecord {
  instruction: string;
  output_1: string;
  output_2: string;
  generator_1: string;
  generator_2: string;
  dataset?: string;
  preference: number | null;
  [extra: string]: unknown;
}

/** The fixture annotations of a leaderboard model (805 rows of real judge preferences for most). */
export function fixtureAnnotations(model: string): AnnotationRecord[] {
  return JSON.parse(readFixtureText(`annotations/${model}.annotations.json.gz`)) as AnnotationRecord[];
}

export interface BuiltRun {
  runId: string;
  prefix: string;
  manifest: RunManifest;
}

/** Writes one run folder into the store at `root`; returns its id. */
export async function writeRunFolder(root: string, options: {
  config: RunConfigInput;
  annotations: AnnotationRecord[];
  createdAt?: string;
  costUsd?: number;
  /** Leave out metrics (a failed run). */
  failed?: boolean;
  /** Leave out inputs/df_gamed.csv (Prepare records it in every real run). */
  noGamedInput?: boolean;
}): Promise<BuiltRun> {
  const config = RunConfigSchema.parse(options.config);
  const runId = runIdFor(config);
  const store = new FileBlobStore(root);
  const run = new RunFolder(store, runPrefix(runId));
  const now = options.createdAt ?? '2026-01-01T00:00:00.000Z';
  let manifest: RunManifest = { ...newManifest({ runId, config, versions: { pipeline: 'test', node: process.version, alpacaEvalCommit: 'test' }, now }), status: 'succeeded' };
  manifest = {
    ...manifest,
    stages: { prepare: { status: 'succeeded', seconds: 0.1 }, judge: { status: 'succeeded', seconds: 42 }, aggregate: { status: 'succeeded', seconds: 0.4 } },
    tokens: { judgePrompt: 918_000 * (options.annotations.length / 805), judgeCompletion: options.annotations.length, generated: 0 },
    costUsd: { judge: options.costUsd ?? 9.2 },
  };
  const text = `${JSON.stringify(options.annotations)}\n`;
  await run.putJson(RUN_FILES.config, config);
  await store.put(`${runPrefix(runId)}${RUN_FILES.judgeTemplate}`, readFixtureText('judge/alpaca_eval_clf.txt'));
  if (options.failed) {
    manifest = { ...manifest, status: 'failed', failure: { stage: 'judge', error: 'JudgeFailed', cause: 'test', at: now } };
    await run.writeManifest(manifest);
    return { runId, prefix: runPrefix(runId), manifest };
  }
  const name = config.name ?? config.model.split('/').at(-1)!;
  const out = await aggregate({
    annotations: { text, file: 'annotations.json' }, name, assets: fixtureAssets(), checkInstructionDifficulty: false,
    bootstrap: { replicates: 200, runner: inThreadRunner },
  });
  if (!options.noGamedInput) await store.put(`${runPrefix(runId)}${RUN_FILES.gamed}`, readFixtureText('standin/df_gamed.csv'));
  await store.put(`${runPrefix(runId)}${RUN_FILES.annotations}`, text);
  await run.putJson(RUN_FILES.metrics, out.metrics);
  await store.put(`${runPrefix(runId)}${RUN_FILES.leaderboard}`, out.leaderboardCsv);
  await run.putJson(RUN_FILES.lcGlm, lcDetails(out.lc));
  manifest = { ...manifest, results: { length_controlled_winrate: out.metrics.length_controlled_winrate, win_rate: out.metrics.win_rate } };
  await run.writeManifest(manifest);
  return { runId, prefix: runPrefix(runId), manifest };
}
