import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStoreError, openBlobStore, parseS3Url, S3BlobStore, s3ClientFromEnv } from '../../lambdas/adapters/blob-store.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { UsageError } from '../../lambdas/core/errors.ts';
import { createTestBucket, motoAvailability, motoClient, startMoto, type MotoServer } from '../support/moto.ts';

const moto = motoAvailability();
if (!moto.available) console.warn(`[skip] ${moto.reason}`);

describe('parseS3Url', () => {
  it('splits the bucket and a prefix ending in a slash', () => {
    expect(parseS3Url('s3://b/runs/1')).toEqual({ bucket: 'b', prefix: 'runs/1/' });
    expect(parseS3Url('s3://b/runs/1/')).toEqual({ bucket: 'b', prefix: 'runs/1/' });
    expect(parseS3Url('s3://b')).toEqual({ bucket: 'b', prefix: '' });
  });

  it('refuses a URL without a bucket', () => {
    expect(() => parseS3Url('s3:///x')).toThrow(BlobStoreError);
  });
});

describe('openBlobStore', () => {
  it('opens a directory path or file:// URL on disk and refuses other schemes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-blob-'));
    expect(openBlobStore(dir)).toBeInstanceOf(FileBlobStore);
    expect(openBlobStore(`file://${dir}`)).toBeInstanceOf(FileBlobStore);
    expect(() => openBlobStore('https://example.com/x')).toThrow(UsageError);
  });

  it('opens s3:// URLs on S3 with path-style addressing when an endpoint is configured', async () => {
    const client = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', AWS_REGION: 'eu-west-1' });
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.region()).toBe('eu-west-1');
    expect(s3ClientFromEnv({}).config.forcePathStyle).toBe(false);
    expect(openBlobStore('s3://b/p', { s3Client: client })).toBeInstanceOf(S3BlobStore);
  });
});

describe.skipIf(!moto.available)('S3BlobStore (moto_server)', () => {
  let server: MotoServer;
  let client: S3Client;
  let bucket: string;

  beforeAll(async () => {
    server = await startMoto();
    client = motoClient(server);
    bucket = await createTestBucket(client);
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('puts, gets and lists objects under its prefix only', async () => {
    const store = openBlobStore(`s3://${bucket}/runs/a`, { s3Client: client });
    const other = openBlobStore(`s3://${bucket}/runs/ab`, { s3Client: client });
    await store.put('model_outputs.json', '[1]', { contentType: 'application/json' });
    await store.put('ckpt/row-2.json', new Uint8Array([1, 2, 3]));
    await other.put('x.json', 'other');
    expect((await store.get('model_outputs.json'))?.toString()).toBe('[1]');
    expect([...(await store.get('ckpt/row-2.json'))!]).toEqual([1, 2, 3]);
    expect(await store.list('')).toEqual(['ckpt/row-2.json', 'model_outputs.json']);
    expect(await store.list('ckpt/')).toEqual(['ckpt/row-2.json']);
    expect(store.locate('model_outputs.json')).toBe(`s3://${bucket}/runs/a/model_outputs.json`);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'runs/a/model_outputs.json' }));
    expect(head.ContentType).toBe('application/json');
  });

  it('returns undefined for a missing key', async () => {
    const store = openBlobStore(`s3://${bucket}/missing`, { s3Client: client });
    expect(await store.get('nothing.json')).toBeUndefined();
  });

  it('lists more keys than one page holds', async () => {
    const prefix = 'many/';
    await Promise.all(Array.from({ length: 1005 }, (_, i) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}k${String(i).padStart(4, '0')}`, Body: 'x' }))));
    const keys = await openBlobStore(`s3://${bucket}/many`, { s3Client: client }).list('');
    expect(keys).toHaveLength(1005);
    expect(keys[0]).toBe('k0000');
    expect(keys[1004]).toBe('k1004');
  });

  it('uploads a body above the multipart threshold in parts', async () => {
    const store = new S3BlobStore({ url: `s3://${bucket}/big`, client, multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
    const body = Buffer.alloc(11 * 1024 * 1024, 7);
    await store.put('blob.bin', body);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big/blob.bin' }));
    expect(head.ETag).toMatch(/-3"$/);
    expect((await store.get('blob.bin'))!.equals(body)).toBe(true);
  });

  it('reports a missing bucket as a BlobStoreError naming the object', async () => {
    const store = openBlobStore('s3://no-such-bucket-aep/x', { s3Client: client });
    await expect(store.get('a.json')).rejects.toThrow(/cannot get s3:\/\/no-such-bucket-aep\/x\/a\.json: NoSuchBucket/);
    await expect(store.put('a.json', 'x')).rejects.toBeInstanceOf(BlobStoreError);
    await expect(store.list('')).rejects.toBeInstanceOf(BlobStoreError);
  });

  it('refuses keys that escape the prefix', async () => {
    const store = openBlobStore(`s3://${bucket}/p`, { s3Client: client });
    await expect(store.put('../q/x', 'x')).rejects.toBeInstanceOf(BlobStoreError);
  });
});

/** Conditional writes, the same contract on S3 (moto) and on disk. */
async function checkConditionalWrites(store: import('../../lambdas/ports.ts').BlobStore): Promise<void> {
  const key = `lease-${Math.random().toString(36).slice(2)}.json`;
  expect(await store.getTagged(key)).toBeUndefined();
  // only one of many concurrent "create if absent" writes lands
  const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => store.putIf(key, `{"holder":${i}}`, { absent: true })));
  expect(wins.filter(Boolean)).toHaveLength(1);
  const first = (await store.getTagged(key))!;
  expect(JSON.parse(first.body.toString('utf8')).holder).toBe(wins.indexOf(true));
  // replacing needs the current tag: a stale tag loses, the current one wins once, and the tag changes
  expect(await store.putIf(key, '{"holder":"b"}', { tag: first.tag })).toBe(true);
  expect(await store.putIf(key, '{"holder":"c"}', { tag: first.tag })).toBe(false);
  const second = (await store.getTagged(key))!;
  expect(second.body.toString('utf8')).toBe('{"holder":"b"}');
  expect(second.tag).not.toBe(first.tag);
  expect(await store.putIf(key, '{"holder":"d"}', { absent: true })).toBe(false);
  expect(await store.putIf(`missing-${key}`, '{}', { tag: second.tag })).toBe(false);
}

describe('conditional writes', () => {
  it('on disk: create-if-absent is exclusive, replace-if-tag needs the current tag', async () => {
    await checkConditionalWrites(new FileBlobStore(await mkdtemp(join(tmpdir(), 'aep-blob-if-'))));
  });

  it.skipIf(!moto.available)('on S3 (moto_server): IfNoneMatch and IfMatch', async () => {
    const server = await startMoto();
    const client = motoClient(server);
    try {
      const bucket = await createTestBucket(client);
      await checkConditionalWrites(openBlobStore(`s3://${bucket}/leases/`, { s3Client: client }));
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});
