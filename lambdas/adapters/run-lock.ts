/**
 * One process at a time on a run folder (the CLI): a lock file created with O_EXCL holding the owner's pid, host and
 * start time. A second `aep judge` / `aep run` on the same folder stops at once with who holds it (nothing is paid
 * twice); a lock whose process is gone (same host, pid no longer alive) is taken over, so a `kill -9` never blocks
 * the rerun. The lock is removed when the holder finishes, whatever the outcome.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { AepError } from '../core/errors.ts';

export const LOCK_FILE = '.aep-lock';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

/** Another live process holds the folder. */
export class RunLockedError extends AepError {
  override readonly name: string = 'RunLockedError';
  readonly owner: LockOwner;
  constructor(path: string, owner: LockOwner) {
    super(`${dirname(path)} is in use by another aep (${owner.command}, pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}); `
      + `wait for it to finish or stop it (a stopped run resumes from everything already paid for); nothing was started`);
    this.owner = owner;
  }
}

export interface RunLock {
  path: string;
  release(): Promise<void>;
}

/** Whether a process with this pid exists on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o as LockOwner : undefined;
  } catch {
    return undefined; // gone, or half-written by a process that died while writing it
  }
}

/** Takes the lock of `dir` or throws RunLockedError; a dead owner's lock is taken over. */
export async function acquireRunLock(dir: string, command: string): Promise<RunLock> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  for (let tries = 0; tries < 20; tries++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${JSON.stringify(me)}\n`);
      await fh.close();
      let released = false;
      const onExit = () => {
        if (!released) {
          rmSync(path, { force: true }); // synchronous: the process is going away
        }
      };
      process.once('exit', onExit);
      return {
        path,
        release: async () => {
          released = true;
          process.removeListener('exit', onExit);
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(path);
    if (owner && (owner.host !== me.host || processAlive(owner.pid))) throw new RunLockedError(path, owner);
    if (!owner) {
      // unreadable: a lock being written this instant, or one whose writer died mid-write long ago
      const age = await stat(path).then((st) => Date.now() - st.mtimeMs, () => Infinity);
      if (age < 5_000) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
    }
    // the owner is gone: move its lock aside (only one taker wins the rename), remove it, and try again
    const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
    if (await rename(path, aside).then(() => true, () => false)) await rm(aside, { force: true });
  }
  throw new Error(`could not take the lock ${path}`);
}
