/** How Record Failure words a Batch job that its queue cancelled after waiting in RUNNABLE. */
import { describe, expect, it } from 'vitest';
import { describeCause, stuckRunnableReason } from '../../../lambdas/services/workflow/record-failure.ts';

/** The Cause of a failed `batch:submitJob.sync` task: the job description, as Step Functions serialises it. */
const batchCause = (statusReason: string) => JSON.stringify({ JobId: 'b7d0', JobName: 'run-1', Status: 'FAILED', StatusReason: statusReason });

describe('stuckRunnableReason', () => {
  it('names missing GPU capacity with the configured minutes and Batch\'s reason code', () => {
    expect(stuckRunnableReason(batchCause('CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested'), 45))
      .toBe('no GPU capacity for 45 minutes, cancelled: no GPU instance was available (request a G/VT vCPU quota, allow more instance types or another region) [Batch: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY]');
  });

  it('tells a compute environment too small for the job from missing capacity', () => {
    for (const code of ['MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE', 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT']) {
      const text = stuckRunnableReason(batchCause(code), 60)!;
      expect(text).toMatch(/^no GPU capacity for 60 minutes, cancelled: the compute environments cannot fit the job/);
      expect(text).toContain(`[Batch: ${code}]`);
    }
    expect(stuckRunnableReason(batchCause('CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY'), undefined)).toMatch(/^no GPU capacity for the queue's time limit, cancelled/);
  });

  it('leaves every other failure to describeCause', () => {
    for (const cause of [batchCause('Essential container in task exited'), '{"errorMessage":"boom"}', 'plain text', undefined]) {
      expect(stuckRunnableReason(cause, 60)).toBeUndefined();
    }
    expect(describeCause(batchCause('Essential container in task exited'))).toBe('Essential container in task exited');
  });
});
