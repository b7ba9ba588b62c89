/**
 * Opens the BlobStore for a location: `s3://bucket/prefix` on S3, `file://…` or a plain path on disk.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { UsageError } from '../core/errors.ts';
import type { BlobStore } from '../ports.ts';
import { FileBlobStore } from './file-blob-store.ts';
import { S3BlobStore } from './s3-blob-store.ts';

export { BlobStoreError, parseS3Url, S3BlobStore } from './s3-blob-store.ts';

/**
 * An S3 client configured from an environment (pass `process.env` from the edge): region from `AWS_REGION` /
 * `AWS_DEFAULT_REGION` (else us-east-1); a custom endpoint from `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` (the SDK
 * reads these too), with path-style addressing, which local S3 servers need. Credentials: the access keys in `env`
 * when given (the environment passed need not be process.env), else the SDK's default chain.
 */
export function s3ClientFromEnv(env: Record<string, string | undefined>): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const keys = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
    : {};
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...keys,
  });
}

export interface OpenBlobStoreOptions {
  /** Client for `s3://` URLs; built by {@link s3ClientFromEnv} from `env` when absent. */
  s3Client?: S3Client;
  env?: Record<string, string | undefined>;
}

/**
 * @example
 * const store = openBlobStore('s3://results/runs/42/', { env: process.env });
 * await store.put('model_outputs.json', text);
 */
export function openBlobStore(url: string, { s3Client, env = {} }: OpenBlobStoreOptions = {}): BlobStore {
  if (url.startsWith('s3://')) return new S3BlobStore({ url, client: s3Client ?? s3ClientFromEnv(env) });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw new UsageError(`unsupported store location ${url}: use s3://bucket/prefix, file:///dir or a directory path`);
  }
  return new FileBlobStore(url);
}
