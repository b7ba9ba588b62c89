/**
 * One execution at a time on a run folder, in the cloud as on a laptop: Prepare takes the run's lease
 * (`runs/<id>/lease.json`) before it writes or buys anything. The lease names the execution holding it and is
 * written with conditional writes (S3 `If-None-Match` / `If-Match`), so of two executions starting together exactly
 * one gets it. A second execution — a console start racing the schedule, a retry of a run still going — finds the
 * holder still running and stops with `RunInProgressError` (nothing paid, the holder's manifest untouched). A lease
 * whose execution has ended (succeeded, failed, aborted, timed out, never existed) is taken over, so a run that died
 * is never blocked. Nothing deletes a lease: the next execution checks its holder instead.
 */
import { AepError } from '../../core/errors.ts';
import { RUN_FILES } from '../../core/run/layout.ts';
import { RUN_TIMEOUT_HOURS } from '../../core/run/manifest.ts';
import type { BlobStore } from '../../ports.ts';

/** What is known about an execution: running, ended, or not knowable from here (another account, a laptop). */
export type ExecutionState = 'running' | 'ended' | 'unknown';

export interface RunLease {
  execution: string;
  takenAt: string;
}

/** Another execution is working on the run: this one stops before writing or paying anything. */
export class RunInProgressError extends AepError {
  override readonly name: string = 'RunInProgressError';
  readonly holder: RunLease;
  constructor(runUrl: string, holder: RunLease) {
    super(`${runUrl} is being evaluated by ${holder.execution} (since ${holder.takenAt}); this execution stops without `
      + `writing or paying anything. Wait for that one to finish, or stop it: the next start resumes from what it paid for`);
    this.holder = holder;
  }
}

/** How long a holder whose state cannot be asked is presumed alive: the state machine's own timeout. */
export const UNVERIFIABLE_HOLDER_MS = RUN_TIMEOUT_HOURS * 3600_000;

export interface TakeLeaseOptions {
  /** The run folder's store (keys relative to the run). */
  store: BlobStore;
  runUrl: string;
  /** The execution taking the lease (its ARN in the cloud, `local:<run id>` for `aep run`). */
  execution: string;
  now: () => Date;
  /** Asks Step Functions about an execution; without it every other holder is `unknown`. */
  executionState?: ((execution: string) => Promise<ExecutionState>) | undefined;
}

/** Takes the run's lease or throws RunInProgressError. Returns the earlier holder when it took the lease over. */
export async function takeRunLease(o: TakeLeaseOptions): Promise<{ takenOver?: RunLease }> {
  const mine = (): string => `${JSON.stringify({ execution: o.execution, takenAt: o.now().toISOString() } satisfies RunLease)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await o.store.getTagged(RUN_FILES.lease);
    if (!current) {
      if (await o.store.putIf(RUN_FILES.lease, mine(), { absent: true })) return {};
      continue; // another execution created it first: look at who holds it
    }
    const holder = parseLease(current.body);
    if (holder?.execution === o.execution) return {}; // a retry of this execution's own Prepare
    // an unreadable lease (a write cut short by hand) holds nothing
    const state = !holder ? 'ended' : o.executionState ? await o.executionState(holder.execution) : 'unknown';
    const presumedAlive = state === 'unknown' && o.now().getTime() - Date.parse(holder!.takenAt) < UNVERIFIABLE_HOLDER_MS;
    if (holder && (state === 'running' || presumedAlive)) throw new RunInProgressError(o.runUrl, holder);
    if (await o.store.putIf(RUN_FILES.lease, mine(), { tag: current.tag })) return holder ? { takenOver: holder } : {};
    // another execution took it over between our read and write: look again
  }
  throw new AepError(`could not take the lease of ${o.runUrl}: it kept changing hands (5 tries)`);
}

function parseLease(body: Buffer): RunLease | undefined {
  try {
    const v = JSON.parse(body.toString('utf8')) as Partial<RunLease>;
    if (typeof v.execution === 'string' && typeof v.takenAt === 'string' && !Number.isNaN(Date.parse(v.takenAt))) return { execution: v.execution, takenAt: v.takenAt };
  } catch {
    // unreadable
  }
  return undefined;
}

/**
 * The id of a local execution (`aep run`): `local:<host>:<pid>:<run id>`, so that two machines, or two processes, on
 * one S3 run folder are told apart, and a holder on this host can be checked (`localExecutionState`).
 */
export function localExecutionId(host: string, pid: number, runId: string): string {
  return `local:${host}:${pid}:${runId}`;
}

/** The state of a local execution: on this host, whether its process lives; elsewhere (or a cloud one) unknown. */
export function localExecutionState(execution: string, host: string, alive: (pid: number) => boolean): ExecutionState {
  const m = /^local:([^:]+):(\d+):/.exec(execution);
  if (!m || m[1] !== host) return 'unknown';
  return alive(Number(m[2])) ? 'running' : 'ended';
}
