/**
 * Resolves the model vLLM loads: a Hugging Face id (vLLM downloads it, with HF_TOKEN from the environment and the
 * revision), a local directory, or an `s3://` checkpoint prefix copied to local disk first (files already present
 * with the same size are kept, so a restarted job does not copy them again).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BlobStoreError, parseS3Url } from '../../lambdas/adapters/blob-store.ts';
import { AepError } from '../../lambdas/core/errors.ts';

export interface ResolvedModel {
  /** What vLLM is given: the HF id or a local directory. */
  model: string;
  origin: 'huggingface' | 's3' | 'local';
  /** Passed to vLLM only for Hugging Face ids. */
  revision: string | null;
  copiedFiles?: number;
  copiedBytes?: number;
}

/** Thrown when the checkpoint cannot be used (empty prefix, no config.json). */
export class ModelSourceError extends AepError {
  override readonly name: string = 'ModelSourceError';
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function copyPrefix(url: string, dir: string, client: S3Client): Promise<{ files: number; bytes: number }> {
  const { bucket, prefix } = parseS3Url(url);
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  try {
    do {
      const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) objects.push({ key: o.Key, size: o.Size ?? 0 });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    throw new BlobStoreError('list', url, (err as Error).message, { cause: err });
  }
  if (objects.length === 0) throw new ModelSourceError(`${url}: no files under this prefix`);
  if (!objects.some((o) => o.key === `${prefix}config.json`)) {
    throw new ModelSourceError(`${url}: no config.json at the top of the prefix; expected a Hugging Face checkpoint directory`);
  }
  const root = resolve(dir);
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < objects.length) {
      const o = objects[next++]!;
      const target = resolve(root, o.key.slice(prefix.length));
      if (!target.startsWith(root + sep)) throw new ModelSourceError(`${url}: object key ${o.key} escapes the model directory`);
      if ((await sizeOf(target)) === o.size) continue;
      await mkdir(dirname(target), { recursive: true });
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
        await pipeline(res.Body as Readable, createWriteStream(target));
      } catch (err) {
        throw new BlobStoreError('get', `s3://${bucket}/${o.key}`, (err as Error).message, { cause: err });
      }
      bytes += o.size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, objects.length) }, worker));
  return { files: objects.length, bytes };
}

export async function resolveModel({ source, revision, modelDir, s3Client }: {
  source: string;
  revision: string | null;
  modelDir: string;
  s3Client: () => S3Client;
}): Promise<ResolvedModel> {
  if (source.startsWith('s3://')) {
    const dir = join(modelDir, 'checkpoint');
    const { files, bytes } = await copyPrefix(source, dir, s3Client());
    return { model: dir, origin: 's3', revision: null, copiedFiles: files, copiedBytes: bytes };
  }
  if (source.startsWith('/') || source.startsWith('.')) return { model: source, origin: 'local', revision: null };
  return { model: source, origin: 'huggingface', revision };
}
