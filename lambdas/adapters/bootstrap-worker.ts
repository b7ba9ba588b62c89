/** Worker-thread entry of `bootstrap-workers.ts`: runs one range of bootstrap replicates and posts the values back. */
import { parentPort, workerData } from 'node:worker_threads';
import { runReplicates, type BootstrapPlan } from '../core/metrics/glm/bootstrap.ts';

const { plan, start, end } = workerData as { plan: BootstrapPlan; start: number; end: number };
const out = runReplicates(plan, start, end);
parentPort!.postMessage(out, [...out.lc, ...out.winRate].map((a) => a.buffer as ArrayBuffer));
