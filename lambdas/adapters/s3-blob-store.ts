/**
 * BlobStore on S3 (`s3://bucket/prefix`). A PUT is atomic for readers (S3 exposes an object only once it is
 * complete); bodies above the multipart threshold go through lib-storage's `Upload`, whose object likewise appears
 * only when the upload completes. S3 errors become `BlobStoreError`s naming the object and the S3 error code.
 */
import {
  GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AepError } from '../core/errors.ts';
import type { BlobStore, PutOptions, TaggedBlob, WriteCondition } from '../ports.ts';

/** Thrown when a blob store operation fails (permissions, missing bucket, network). */
export class BlobStoreError extends AepError {
  override readonly name: string = 'BlobStoreError';
  readonly url: string;
  readonly operation: 'get' | 'put' | 'list';
  constructor(operation: 'get' | 'put' | 'list', url: string, problem: string, options?: ErrorOptions) {
    super(`cannot ${operation} ${url}: ${problem}`, options);
    this.url = url;
    this.operation = operation;
  }
}

export interface S3Location {
  bucket: string;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
}

/** `s3://bucket/a/b` → `{ bucket, prefix: 'a/b/' }`. Throws `BlobStoreError` for anything else. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new BlobStoreError('list', url, 'not an s3://bucket/prefix URL');
  const rest = m[2]!.replace(/^\/+/, '');
  return { bucket: m[1], prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
}

export interface S3BlobStoreOptions {
  /** `s3://bucket/prefix`. */
  url: string;
  client: S3Client;
  /** Bodies larger than this use a multipart upload. Default 16 MiB. */
  multipartThresholdBytes?: number;
  /** Part size of multipart uploads. Default 8 MiB (S3's minimum is 5 MiB). */
  partSizeBytes?: number;
}

function describe(err: unknown): string {
  if (err instanceof S3ServiceException) return `${err.name} (HTTP ${err.$metadata?.httpStatusCode ?? '?'}): ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  return [e?.code, e?.message].filter(Boolean).join(': ') || String(err);
}

export class S3BlobStore implements BlobStore {
  readonly url: string;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly threshold: number;
  private readonly partSize: number;

  constructor(options: S3BlobStoreOptions) {
    const { bucket, prefix } = parseS3Url(options.url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.url = `s3://${bucket}/${prefix}`;
    this.client = options.client;
    this.threshold = options.multipartThresholdBytes ?? 16 * 1024 * 1024;
    this.partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
  }

  private key(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new BlobStoreError('put', this.locate(key), 'key escapes the store prefix');
    return this.prefix + key;
  }

  locate(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      if (!res.Body) return Buffer.alloc(0);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) &&
        err.name !== 'NoSuchBucket') return undefined;
      throw new BlobStoreError('get', this.locate(key), describe(err), { cause: err });
    }
  }

  async put(key: string, body: string | Uint8Array, options: PutOptions = {}): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const params = { Bucket: this.bucket, Key: this.key(key), Body: bytes, ContentType: options.contentType, CacheControl: options.cacheControl };
    try {
      if (bytes.byteLength <= this.threshold) {
        await this.client.send(new PutObjectCommand(params));
      } else {
        await new Upload({ client: this.client, params, partSize: this.partSize, queueSize: 4, leavePartsOnError: false }).done();
      }
    } catch (err) {
      throw new BlobStoreError('put', this.locate(key), describe(err), { cause: err });
    }
  }

  async getTagged(key: string): Promise<TaggedBlob | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      const body = res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0);
      if (!res.ETag) throw new Error('the object has no ETag');
      return { body, tag: res.ETag };
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) &&
        err.name !== 'NoSuchBucket') return undefined;
      throw new BlobStoreError('get', this.locate(key), describe(err), { cause: err });
    }
  }

  async putIf(key: string, body: string | Uint8Array, condition: WriteCondition, options: PutOptions = {}): Promise<boolean> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: this.key(key), Body: bytes, ContentType: options.contentType, CacheControl: options.cacheControl,
        ...('absent' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.tag }),
      }));
      return true;
    } catch (err) {
      // 412: the condition failed; 409: a concurrent conditional write to the same key won the race; 404 on IfMatch:
      // the object the tag belonged to is gone
      const status = err instanceof S3ServiceException ? err.$metadata?.httpStatusCode : undefined;
      if (status === 412 || status === 409 || (status === 404 && 'tag' in condition && (err as Error).name !== 'NoSuchBucket')) return false;
      throw new BlobStoreError('put', this.locate(key), describe(err), { cause: err });
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const res = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token,
        }));
        for (const o of res.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key.slice(this.prefix.length));
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw new BlobStoreError('list', this.locate(prefix), describe(err), { cause: err });
    }
    return keys.sort();
  }
}
