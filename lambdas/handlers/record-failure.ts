/** Lambda "Record Failure": writes why the run failed into its manifest. */
import { recordFailure } from '../services/workflow/record-failure.ts';
import { lambdaStep } from './runtime.ts';

export const handler = lambdaStep('record-failure', recordFailure);
