/**
 * BlobStore on a local directory (`file://`). Writes go to a temporary file renamed into place. Conditional writes:
 * "absent" is atomic (a hard link, which fails when the name exists); "still has tag" (a content hash) compares then
 * renames, which another process could slip between: one process at a time works on a local run folder (the run
 * lock, `run-lock.ts`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BlobStore, TaggedBlob, WriteCondition } from '../ports.ts';
import { atomicWrite } from './assets.ts';

export class FileBlobStore implements BlobStore {
  readonly root: string;
  readonly url: string;

  constructor(root: string) {
    this.root = resolve(root.startsWith('file://') ? fileURLToPath(root) : root);
    this.url = pathToFileURL(this.root).href;
  }

  private path(key: string): string {
    const p = resolve(this.root, key);
    if (p !== this.root && !p.startsWith(this.root + sep)) throw new Error(`key escapes the store root: ${key}`);
    return p;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true });
    await atomicWrite(p, body);
  }

  async getTagged(key: string): Promise<TaggedBlob | undefined> {
    const body = await this.get(key);
    return body && { body, tag: contentTag(body) };
  }

  async putIf(key: string, body: string | Uint8Array, condition: WriteCondition): Promise<boolean> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true });
    if ('absent' in condition) {
      const tmp = `${p}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, body);
      try {
        await link(tmp, p);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      } finally {
        await rm(tmp, { force: true });
      }
    }
    const current = await this.get(key);
    if (!current || contentTag(current) !== condition.tag) return false;
    await atomicWrite(p, body);
    return true;
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (!e.name.endsWith('.tmp')) out.push(relative(this.root, full).split(sep).join('/'));
      }
    };
    await walk(this.root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }

  locate(key: string): string {
    return this.path(key);
  }
}

function contentTag(body: Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('hex')}"`;
}
