/** Lambda "Prepare Run": the execution input → a prepared run folder (see services/workflow/prepare-run.ts). */
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionState } from '../services/workflow/run-lease.ts';
import { prepareRun } from '../services/workflow/prepare-run.ts';
import { withJudge } from './judge-deps.ts';
import { lambdaStep } from './runtime.ts';

const sfn = new SFNClient({});

/** A lease holder's state, from Step Functions: a failed execution waiting to be redriven still holds its run. */
async function executionState(execution: string): Promise<ExecutionState> {
  if (!execution.startsWith('arn:')) return 'unknown'; // a local `aep run` on this bucket
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn: execution }));
    return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'running' : 'ended';
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) return 'ended';
    throw err;
  }
}

// with judge access: the judge model is checked before the GPU job or any judge row is paid for; with Step
// Functions access: the run's lease is checked against the execution holding it; an open-weights judge runs as the
// state machine's GPU judge job
export const handler = lambdaStep('prepare', (deps, event: Parameters<typeof prepareRun>[1]) => prepareRun({ ...withJudge(deps), executionState, judgeOnGpuJob: true }, event));
