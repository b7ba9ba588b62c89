/**
 * The report site's front page (`reports/index.html`) and the Cache-Control of published pages, on real stores:
 * a directory (what `aep report` writes) and an S3-protocol server (what CloudFront serves from).
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { REPORT_CACHE_CONTROL } from '../../lambdas/core/report/site-index.ts';
import { failManifest } from '../../lambdas/core/run/manifest.ts';
import { RunFolder } from '../../lambdas/services/workflow/run-store.ts';
import { publishRunReport, publishSiteIndex, SITE_INDEX_KEY } from '../../lambdas/services/report/publish-report.ts';
import { missingFixtures, missingMessage } from '../support/fixtures.ts';
import { createTestBucket, motoAvailability, motoClient, startMoto } from '../support/moto.ts';
import { fixtureAnnotations, RUN_FOLDER_FIXTURES, writeRunFolder } from './run-folder.ts';

const missing = missingFixtures(...RUN_FOLDER_FIXTURES, 'annotations/alpaca-7b.annotations.json.gz');
const skip = missing.length ? missingMessage(missing) : undefined;
if (skip) console.warn(`[skip] site index tests: ${skip}`);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aep-site-index-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** Two models: one with two finished runs (one published), one whose only run failed waiting for a GPU. */
async function seed(dir: string) {
  const rows = fixtureAnnotations('alpaca-7b').slice(0, 120);
  const older = await writeRunFolder(dir, { config: { model: 'org/sft', revision: 'step-500' }, annotations: rows, createdAt: '2026-01-01T00:00:00.000Z' });
  const newer = await writeRunFolder(dir, { config: { model: 'org/sft', revision: 'step-1000' }, annotations: rows, createdAt: '2026-01-02T00:00:00.000Z' });
  const failed = await writeRunFolder(dir, { config: { model: 'other/<b>model</b>', revision: 'r1' }, annotations: rows, failed: true });
  const cause = 'no GPU capacity for 60 minutes, cancelled: no GPU instance was available [Batch: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY]';
  const run = new RunFolder(new FileBlobStore(dir), failed.prefix);
  await run.writeManifest(failManifest({ ...failed.manifest, status: 'running', failure: undefined }, { stage: 'generate', error: 'States.TaskFailed', cause }, '2026-01-03T00:00:00.000Z'));
  return { older, newer, failed, cause };
}

describe.skipIf(!!skip)('the report site index', () => {
  it('lists every model and run at reports/index.html: history and report links, win rates, why a run failed', async () => {
    const dir = join(root, 'file');
    const { older, newer, failed } = await seed(dir);
    const store = new FileBlobStore(dir);
    const published = await publishRunReport(store, newer.prefix);
    expect(published.keys.index).toBe(SITE_INDEX_KEY);
    const html = (await store.get(SITE_INDEX_KEY))!.toString('utf8');
    // the model's history page and the published run are linked relatively (the site root is reports/)
    expect(html).toContain('<a href="org-sft/index.html">org/sft</a>');
    expect(html).toContain(`<a href="${newer.runId}/index.html">${newer.runId}</a>`);
    // the older run has no published report: listed without a link, with its win rates read from metrics.json
    expect(html).not.toContain(`href="${older.runId}/index.html"`);
    expect(html).toContain(older.runId);
    expect(html.match(/<span class="badge win">succeeded<\/span>/g)).toHaveLength(2);
    expect(html).toMatch(/<td class="n">\d+\.\d\d<\/td><td class="n">\d+\.\d\d<\/td>/);
    // the failed run says why, and the model name is escaped
    expect(html).toContain('generate: no GPU capacity for 60 minutes, cancelled');
    expect(html).toContain(failed.runId);
    expect(html).toContain('other/&lt;b&gt;model&lt;/b&gt;');
    expect(html).not.toContain('<b>model</b>');
    // newest run first within a model
    expect(html.indexOf(newer.runId)).toBeLessThan(html.indexOf(older.runId));
    expect(html).toMatch(/script-src (&#39;|&#x27;|')none/);
  });

  it('says so when the store has no run yet', async () => {
    const store = new FileBlobStore(join(root, 'empty'));
    await publishSiteIndex(store, { now: new Date('2026-02-01T00:00:00Z') });
    const html = (await store.get(SITE_INDEX_KEY))!.toString('utf8');
    expect(html).toContain('id="no-runs"');
    expect(html).toContain('2026-02-01T00:00:00.000Z');
  });

  it('publishes on S3 with Cache-Control: a run report immutable, the history and index pages no-cache', async (ctx) => {
    const moto = motoAvailability();
    if (!moto.available) ctx.skip(moto.reason);
    const s3 = await startMoto();
    const client = motoClient(s3);
    try {
      const bucket = await createTestBucket(client, 'aep-site');
      const local = join(root, 's3src');
      const { newer, failed } = await seed(local);
      const src = openBlobStore(local);
      const dst = openBlobStore(`s3://${bucket}/`, { s3Client: client });
      for (const key of await src.list('runs/')) await dst.put(key, (await src.get(key))!);
      const published = await publishRunReport(dst, newer.prefix);
      const head = async (key: string) => {
        const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { cacheControl: r.CacheControl, contentType: r.ContentType };
      };
      expect(await head(published.keys.published)).toEqual({ cacheControl: REPORT_CACHE_CONTROL.immutable, contentType: 'text/html; charset=utf-8' });
      expect(REPORT_CACHE_CONTROL.immutable).toBe('public, max-age=31536000, immutable');
      expect(await head(published.keys.history)).toEqual({ cacheControl: 'no-cache', contentType: 'text/html; charset=utf-8' });
      expect(await head(SITE_INDEX_KEY)).toEqual({ cacheControl: 'no-cache', contentType: 'text/html; charset=utf-8' });
      const html = (await dst.get(SITE_INDEX_KEY))!.toString('utf8');
      expect(html).toContain(`<a href="${newer.runId}/index.html">`);
      expect(html).toContain(failed.runId);
    } finally {
      client.destroy();
      await s3.stop();
    }
  });
});
