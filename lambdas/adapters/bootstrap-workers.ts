/**
 * ReplicateRunner over worker threads (the CLI; the in-thread runner is `inThreadRunner` of services/lc-bootstrap.ts). Each worker runs
 * the pure `runReplicates` on one contiguous range of replicate indices; this thread runs the first range itself.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mergeReplicates, runReplicates, splitRange, type BootstrapPlan, type ReplicateValues } from '../core/metrics/glm/bootstrap.ts';
import type { ReplicateRunner } from '../ports.ts';

/**
 * Below this many refits (replicates × models) per thread, starting a worker (a fresh isolate that loads the
 * TypeScript loader and the solver, about 0.45 s here) costs more than it saves. Measured on the 2-core machine:
 * one model, B = 1000: 0.65 s in this thread, 0.78 s over two; two models (aep compare), B = 1000: 1.46 s in this
 * thread, 1.10 s over two.
 */
const MIN_REFITS_PER_THREAD = 1000;

/**
 * Splits the replicates over up to `threads` threads (default: the available cores, at most 8), one per
 * MIN_REFITS_PER_THREAD refits; an explicit `threads` is used as given.
 */
export function workerRunner(threads?: number): ReplicateRunner {
  const max = threads ?? Math.min(8, availableParallelism());
  return {
    async run(plan, replicates) {
      const byWork = Math.floor((replicates * plan.arms.length) / MIN_REFITS_PER_THREAD);
      const parts = Math.max(1, Math.min(max, threads === undefined ? byWork : replicates));
      const ranges = splitRange(replicates, parts);
      if (ranges.length <= 1) return runReplicates(plan, 0, replicates);
      const remote = ranges.slice(1).map(([start, end]) => inWorker(plan, start, end));
      const local = runReplicates(plan, ranges[0]![0], ranges[0]![1]);
      return mergeReplicates([local, ...(await Promise.all(remote))], plan.arms.length);
    },
  };
}

function inWorker(plan: BootstrapPlan, start: number, end: number): Promise<ReplicateValues> {
  const self = import.meta.url;
  let worker: Worker;
  if (self.endsWith('.ts')) {
    // running under the TypeScript loader: the worker registers it before importing its .ts entry
    const loader = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./bootstrap-worker.ts', self).href;
    const code = `import(${JSON.stringify(loader)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    worker = new Worker(code, { eval: true, workerData: { plan, start, end } });
  } else {
    worker = new Worker(new URL('./bootstrap-worker.js', self), { workerData: { plan, start, end } });
  }
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    worker.once('message', (msg: ReplicateValues) => {
      settled = true;
      resolvePromise(msg);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`bootstrap worker for replicates ${start}–${end - 1} exited with code ${code}`));
    });
  });
}
