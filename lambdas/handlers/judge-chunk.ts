/** Lambda "Judge Chunk": judges one chunk of rows (cached, retried, never paid twice). */
import { judgeChunkStep } from '../services/workflow/judge-step.ts';
import { withJudge } from './judge-deps.ts';
import { lambdaStep } from './runtime.ts';

export const handler = lambdaStep('judge-chunk', (deps, event: Parameters<typeof judgeChunkStep>[1]) => judgeChunkStep(withJudge(deps), event));
