/** Lambda "Submit/Check Judge Batch": the OpenAI Batch API branch of the judge. */
import { judgeBatchStep, type JudgeBatchEvent } from '../services/workflow/judge-batch-step.ts';
import { withJudge } from './judge-deps.ts';
import { lambdaStep } from './runtime.ts';

export const handler = lambdaStep('judge-batch', (deps, event: JudgeBatchEvent) => judgeBatchStep(withJudge(deps), event));
