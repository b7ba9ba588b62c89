/**
 * The run folder: one layout, in S3 or on disk. Every run writes `runs/<run-id>/` with these objects.
 */
export const RUNS_PREFIX = 'runs/';

/** Where each run that is judging says so (`services/workflow/judge-share.ts`): one object per run, at the store's root. */
export const JUDGING_PREFIX = 'judging/';

export const RUN_FILES = {
  manifest: 'manifest.json',
  /** Which execution works on the run (`services/workflow/run-lease.ts`), written with conditional writes. */
  lease: 'lease.json',
  config: 'config.json',
  evalSet: 'inputs/eval_set.json',
  judgeTemplate: 'inputs/judge_template.txt',
  gamed: 'inputs/df_gamed.csv',
  instructionDifficulty: 'inputs/instruction_difficulty.csv',
  leaderboardInput: 'inputs/leaderboard.csv',
  calibration: 'inputs/calibration.json',
  modelOutputs: 'model_outputs.json',
  generation: 'generation.json',
  judgeDir: 'judge/',
  drift: 'judge/drift.json',
  /** The Batch API job of the run: its id, then what it answered and cost (`BatchRecord`). */
  judgeBatch: 'judge/batch.json',
  /** The chunks the GPU judge job judges (`containers/judge/`), written by Prepare when the judge runs there. */
  judgePlan: 'judge/plan.json',
  /** What the GPU judge job did and its engine used (`containers/judge/`). */
  engineJob: 'judge/engine-job.json',
  annotations: 'annotations.json',
  metrics: 'metrics.json',
  leaderboard: 'leaderboard.csv',
  lcGlm: 'lc_glm.json',
  report: 'report.html',
} as const;

/** The prefix of a run folder inside a store, with a trailing slash. */
export function runPrefix(runId: string): string {
  return `${RUNS_PREFIX}${runId}/`;
}

/** The key of judge chunk `index` inside a run folder (`judge/chunk-0003.json`). */
export function judgeChunkKey(index: number): string {
  return `${RUN_FILES.judgeDir}chunk-${String(index).padStart(4, '0')}.json`;
}

/** A contiguous slice of eval-set rows judged by one Lambda invocation. */
export interface JudgeChunk {
  index: number;
  /** First eval row (0-based, inclusive). */
  start: number;
  /** Last eval row + 1 (exclusive). */
  end: number;
  /** The last chunk also takes any rows beyond `end` (duplicated instructions in the model outputs). */
  last: boolean;
}

/** Splits n rows into chunks of `size` (the last may be shorter). */
export function planJudgeChunks(n: number, size: number): JudgeChunk[] {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: JudgeChunk[] = [];
  for (let start = 0, index = 0; start < n; start += size, index++) {
    const end = Math.min(n, start + size);
    chunks.push({ index, start, end, last: end === n });
  }
  return chunks;
}
