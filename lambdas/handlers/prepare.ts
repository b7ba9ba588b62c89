/** Lambda "Prepare Run": the execution input → a prepared run folder (see services/workflow/prepare-run.ts). */
import { prepareRun } from '../services/workflow/prepare-run.ts';
import { withJudge } from './judge-deps.ts';
import { lambdaStep } from './runtime.ts';

// with judge access: the judge model is checked before the GPU job or any judge row is paid for
export const handler = lambdaStep('prepare', (deps, event: Parameters<typeof prepareRun>[1]) => prepareRun(withJudge(deps), event));
