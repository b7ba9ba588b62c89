/** Lambda "Aggregate Results": judge chunks → annotations.json, metrics.json, leaderboard.csv, lc_glm.json. */
import { aggregateRun } from '../services/workflow/aggregate-run.ts';
import { lambdaStep } from './runtime.ts';

export const handler = lambdaStep('aggregate', aggregateRun);
