/**
 * Reads a file that a run config names — given model outputs, for instance: an `s3://bucket/key` URL, an http(s)
 * URL, a local path, or a key in the results store (tried in that order for plain names).
 */
import { readFile } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputError } from '../core/errors.ts';
import type { BlobStore } from '../ports.ts';
import { openBlobStore } from './blob-store.ts';

export interface ReadSourceOptions {
  /** The results store, for plain keys. */
  store: BlobStore;
  env?: Record<string, string | undefined>;
  s3Client?: S3Client;
}

export async function readSource(location: string, o: ReadSourceOptions): Promise<{ text: string; source: string }> {
  if (location.startsWith('s3://')) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
    if (!m) throw new InputError({ file: location }, 'not an s3://bucket/key URL');
    const body = await openBlobStore(`s3://${m[1]}/`, { env: o.env ?? {}, ...(o.s3Client ? { s3Client: o.s3Client } : {}) }).get(m[2]!);
    if (!body) throw new InputError({ file: location }, 'does not exist');
    return { text: body.toString('utf8'), source: location };
  }
  if (/^https?:\/\//.test(location)) {
    const res = await fetch(location, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new InputError({ file: location }, `cannot download it: HTTP ${res.status}`);
    return { text: await res.text(), source: location };
  }
  try {
    return { text: await readFile(location, 'utf8'), source: location };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const body = await o.store.get(location);
    if (body) return { text: body.toString('utf8'), source: o.store.locate(location) };
    throw new InputError({ file: location }, `is neither a file nor an object of ${o.store.url}`, { cause: err });
  }
}
