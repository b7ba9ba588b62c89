import { describe, expect, it } from 'vitest';
import { RunConfigSchema } from '../../../lambdas/core/run/run-config.ts';
import { runScheduled, type SchedulerTask } from '../../../lambdas/services/judge/scheduler.ts';
import { schedulerOf } from '../../../lambdas/services/workflow/judge-step.ts';
import { VirtualClock } from './virtual-clock.ts';

describe('chunk limits', () => {
  describe('schedulerOf', () => {
    it('gives each of the parallel chunks its share of the run\'s RPM and TPM, and leaves them unset when unset', () => {
      // Act
      const limited = schedulerOf(RunConfigSchema.parse({ model: 'm', judge: { rpm: 3000, tpm: 600_000, parallelChunks: 4 } }));
      const free = schedulerOf(RunConfigSchema.parse({ model: 'm', judge: { parallelChunks: 4 } }));
      // Assess
      expect(limited).toMatchObject({ rpm: 750, tpm: 150_000 });
      expect(free.rpm).toBeUndefined();
      expect(free.tpm).toBeUndefined();
    });

    it('keeps the requests of 4 chunks judged at once within the run\'s RPM in every minute (counted on virtual time)', async () => {
      // Prepare: 600 RPM over 4 parallel chunks of 300 rows, answers in 50 ms
      const config = RunConfigSchema.parse({ model: 'm', judge: { rpm: 600, parallelChunks: 4, concurrency: 8 } });
      const clock = new VirtualClock();
      const starts: number[] = [];
      const chunk = (c: number): SchedulerTask<string>[] => Array.from({ length: 300 }, (_, i) => ({
        id: `c${c}-${i}`, tokens: 0,
        attempt: async () => {
          starts.push(clock.now());
          await clock.sleep(50);
          return { ok: true, value: 'done' };
        },
      }));
      // Act
      await clock.run(Promise.all([0, 1, 2, 3].map((c) => runScheduled({
        tasks: chunk(c), settings: schedulerOf(config), clock, random: () => 0, onResult: () => undefined,
      }))));
      // Assess: every sliding minute holds at most 600 starts plus the 4 chunks' one-request bursts
      expect(starts).toHaveLength(1200);
      starts.sort((a, b) => a - b);
      let most = 0;
      for (let i = 0, j = 0; i < starts.length; i++) {
        while (starts[i]! - starts[j]! >= 60_000) j++;
        most = Math.max(most, i - j + 1);
      }
      expect(most).toBeLessThanOrEqual(600 + 4);
      expect(most).toBeGreaterThan(550);
    });
  });
});
