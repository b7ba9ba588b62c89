/** Lambda "Prepare Run": the execution input → a prepared run folder (see services/workflow/prepare-run.ts). */
import { prepareRun } from '../services/workflow/prepare-run.ts';
import { lambdaStep } from './runtime.ts';

export const handler = lambdaStep('prepare', prepareRun);
