/**
 * Step "Prepare Run": creates (or resumes) the run folder. Copies every benchmark asset into `inputs/` (so later
 * steps and anyone reading the folder use exactly the same bytes), records their provenance, takes given model
 * outputs, plans the judge chunks and tells the state machine whether generation is needed.
 */
import { ALPACA_EVAL_COMMIT, type AssetName } from '../../core/assets-catalog.ts';
import { parseModelOutputs } from '../../core/eval-set/schema.ts';
import { selectMaxInstances } from '../../core/eval-set/max-instances.ts';
import { generationEnvironment, type GenerationEnv } from '../../core/run/generation-env.ts';
import { planJudgeChunks, runPrefix, RUN_FILES, type JudgeChunk } from '../../core/run/layout.ts';
import { finishStage, newManifest, restartManifest, startStage, type RunManifest } from '../../core/run/manifest.ts';
import { RunConfigSchema, runIdFor, type RunConfig, type RunConfigInput } from '../../core/run/run-config.ts';
import type { WorkflowDeps } from './deps.ts';
import { BudgetExceededError, judgeCostBound, type CostBound } from './budget.ts';
import { takeRunLease } from './run-lease.ts';
import { presetOf, type JudgeDeps } from './judge-step.ts';
import { checkJudgeModel, type PreflightResult } from '../judge/preflight.ts';
import { OPENAI_BASE_URL } from '../../core/judge/presets.ts';
import { UsageError } from '../../core/errors.ts';
import { RunFolder } from './run-store.ts';
import { prepareCalibration } from './run-calibration.ts';

/** The execution input: a run config, and optionally the run id (default: derived from the config). */
export interface PrepareEvent {
  input: { config: RunConfigInput; runId?: string };
  /** The execution running this attempt (`$$.Execution.Id`), recorded in the manifest. */
  execution?: string;
}

export type JudgeMode = RunConfig['judge']['mode'] | 'engine';

/**
 * The judge mode of a run: an open-weights preset without an endpoint of its own is judged by the GPU job where the
 * workflow has one (the cloud); anything else as the config says.
 */
export function judgeModeOf(config: RunConfig, judgeOnGpuJob: boolean): JudgeMode {
  const selfHosted = presetOf(config).selfHosted !== null && config.judge.baseUrl === undefined;
  if (!selfHosted || !judgeOnGpuJob) return config.judge.mode;
  if (config.judge.mode === 'batch-api') {
    throw new UsageError(`judge ${presetOf(config).name} runs on our own GPUs, not on the OpenAI Batch API: set judge.mode to realtime`);
  }
  return 'engine';
}

export interface PrepareResult {
  runId: string;
  runPrefix: string;
  runUrl: string;
  needGeneration: boolean;
  /** The generator job's environment (container overrides). */
  generationEnv: GenerationEnv;
  /** How the state machine judges: the chunks (`realtime`), the OpenAI Batch API loop, or the GPU judge job (`engine`). */
  judgeMode: JudgeMode;
  chunks: JudgeChunk[];
  config: RunConfig;
}

const ASSET_FILES: [AssetName, string, boolean][] = [
  ['eval-set', RUN_FILES.evalSet, true],
  ['judge-template', RUN_FILES.judgeTemplate, true],
  ['gamed', RUN_FILES.gamed, true],
  ['leaderboard', RUN_FILES.leaderboardInput, true],
  ['instruction-difficulty', RUN_FILES.instructionDifficulty, false],
];

/**
 * With judge access (`judgeClient`), Prepare asks the judge endpoint whether it serves the judge model before the GPU
 * job or any judge row is paid for; the first judged row is then the probe (judge chunks).
 */
export async function prepareRun(deps: WorkflowDeps & Partial<Pick<JudgeDeps, 'judgeClient'>>, event: PrepareEvent): Promise<PrepareResult> {
  const config = RunConfigSchema.parse(event.input.config);
  const judgeMode = judgeModeOf(config, deps.judgeOnGpuJob === true); // a judge/mode mismatch stops before anything is written
  const runId = event.input.runId ?? runIdFor(config);
  const prefix = runPrefix(runId);
  const run = new RunFolder(deps.store, prefix);
  const now = () => deps.now().toISOString();

  // one execution at a time on the run: a second one stops here, before it writes or pays anything
  if (event.execution) {
    const { takenOver } = await takeRunLease({ store: run.store, runUrl: run.url, execution: event.execution, now: deps.now, executionState: deps.executionState });
    if (takenOver) deps.log.warn('run lease taken over from an execution that ended', { runId, previous: takenOver.execution, since: takenOver.takenAt });
  }

  const existing = await run.manifest();
  let manifest: RunManifest = existing
    ? restartManifest(existing, now())
    : newManifest({ runId: runId, config, now: now(), versions: { ...deps.versions, alpacaEvalCommit: ALPACA_EVAL_COMMIT } });
  if (event.execution) manifest = { ...manifest, execution: event.execution };
  manifest = startStage(manifest, 'prepare', now());
  await run.putJson(RUN_FILES.config, config);

  const assets = deps.assetsFor(config.assets);
  let evalSetText = '';
  for (const [name, key, required] of ASSET_FILES) {
    try {
      const { asset, text } = await assets.text(name);
      await run.store.put(key, text);
      manifest.assets[name] = { source: asset.source, origin: asset.origin, sha256: asset.sha256, pinnedSha256: asset.pinnedSha256, matchesPin: asset.matchesPin };
      if (name === 'eval-set') evalSetText = text;
    } catch (err) {
      if (required) throw err;
      deps.log.warn(`optional asset ${name} unavailable`, { reason: (err as Error).message });
    }
  }
  const evalSet = parseModelOutputs(evalSetText, manifest.assets['eval-set']!.source);
  await prepareCalibration(deps, run, config, assets, manifest); // a wrong calibration stops the run before any spend

  let needGeneration = true;
  let outputsText: string | undefined;
  if (config.modelOutputs) {
    const given = await deps.readSource(config.modelOutputs);
    parseModelOutputs(given.text, given.source); // validate before anything is paid for
    await run.store.put(RUN_FILES.modelOutputs, given.text);
    outputsText = given.text;
    needGeneration = false;
  } else {
    outputsText = (await run.store.get(RUN_FILES.modelOutputs))?.toString('utf8');
    if (outputsText !== undefined) needGeneration = false; // a resumed run whose generation already finished
  }

  let bound: CostBound | undefined;
  if (config.budgetUsd !== undefined) {
    bound = await judgeCostBound({ evalSetText, template: await run.require(RUN_FILES.judgeTemplate), modelOutputsText: outputsText, config, preset: presetOf(config) });
    if (bound.usd !== null && bound.usd > config.budgetUsd) {
      throw new BudgetExceededError(`judging could cost $${bound.usd.toFixed(2)} (${bound.exact ? '' : 'upper bound, '}${bound.promptTokens} prompt tokens for ${bound.rows} rows), above the budget of $${config.budgetUsd.toFixed(2)}: raise the budget, judge with the Batch API (half price) or evaluate fewer instances; nothing was spent`);
    }
  }

  let judgePreflight: PreflightResult | undefined;
  if (deps.judgeClient && judgeMode !== 'engine') { // the GPU job starts its own engine: there is nothing to ask yet
    const preset = presetOf(config);
    judgePreflight = await checkJudgeModel({
      client: await deps.judgeClient(preset, config), preset, baseUrl: config.judge.baseUrl ?? OPENAI_BASE_URL, now: deps.now(),
    });
    for (const w of judgePreflight.warnings) deps.log.warn('judge preflight warning', { warning: w });
  }

  const nRows = config.maxInstances
    ? selectMaxInstances({ reference: evalSet.rows, modelOutputs: evalSet.rows, maxInstances: config.maxInstances }).reference.length
    : evalSet.rows.length;
  const chunks = planJudgeChunks(nRows, config.judge.chunkSize);

  manifest = finishStage(manifest, 'prepare', now(), {
    details: { evalRows: evalSet.rows.length, judgedRows: nRows, chunks: chunks.length, resumed: !!existing, ...(bound ? { judgeCostBound: bound } : {}), ...(judgePreflight ? { judgePreflight } : {}) },
  });
  if (!needGeneration) manifest = finishStage(startStage(manifest, 'generate', now()), 'generate', now(), { status: 'skipped', details: { modelOutputs: config.modelOutputs ?? 'from an earlier attempt' } });
  else manifest = startStage(manifest, 'generate', now());
  if (judgeMode === 'engine') await run.putJson(RUN_FILES.judgePlan, { chunks });
  await run.writeManifest(manifest);
  deps.log.info('run prepared', { runId: runId, needGeneration, chunks: chunks.length });
  return {
    runId, runPrefix: prefix, runUrl: run.url, needGeneration, generationEnv: generationEnvironment(config, run.url),
    judgeMode, chunks, config,
  };
}
