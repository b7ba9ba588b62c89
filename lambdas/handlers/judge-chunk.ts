/** Lambda "Judge Chunk": judges one chunk of rows (cached, retried, never paid twice) within the function's time. */
import { chunkTimeBudgetMs, judgeChunkStep } from '../services/workflow/judge-step.ts';
import { withJudge } from './judge-deps.ts';
import { lambdaStep } from './runtime.ts';

export const handler = lambdaStep('judge-chunk', (deps, event: Parameters<typeof judgeChunkStep>[1], context) => judgeChunkStep(withJudge(deps), event, {
  // stop before the Lambda's 15-minute cap: the rows left are handed back and the state machine invokes the chunk again
  ...(context.getRemainingTimeInMillis ? { timeBudgetMs: chunkTimeBudgetMs(context.getRemainingTimeInMillis()) } : {}),
}));
