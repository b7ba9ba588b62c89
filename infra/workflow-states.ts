/**
 * The workflow's state names and retried error names, with no CDK import: the construct (`constructs/eval-workflow.ts`)
 * builds the state machine with them, and the local runner binds handlers by them without loading aws-cdk-lib.
 */

/** State names: they are what people read in the console, and what the local runner binds handlers to. */
export const STATES = {
  prepare: 'Prepare Run',
  outputsGiven: 'Outputs Given?',
  generate: 'Generate Outputs',
  judgeMode: 'Judge Mode?',
  judgeOnGpu: 'Judge On GPU',
  judgeChunks: 'Judge Chunks',
  judgeChunk: 'Judge Chunk',
  chunkDone: 'Chunk Done?',
  chunkJudged: 'Chunk Judged',
  submitBatch: 'Submit Judge Batch',
  waitBatch: 'Wait For Judge Batch',
  checkBatch: 'Check Judge Batch',
  batchDone: 'Judge Batch Done?',
  aggregate: 'Aggregate Results',
  report: 'Render Report',
  recordFailure: 'Record Failure',
  failed: 'Run Failed',
  succeeded: 'Run Succeeded',
} as const;

/** Error names a chunk throws when some rows still failed: retried by the state machine. */
export const RETRYABLE_JUDGE_ERRORS = ['JudgeRowsFailedError', 'JudgeQuotaError'];
