/**
 * Concurrent runs share the judge's rate limits (`services/workflow/judge-share.ts`), measured against the fake
 * OpenAI server's RPM limiter (a token bucket answering 429 above the account's RPM). Two runs of different models
 * judge at once, each configured with the account's RPM: in one results store they find each other and together keep
 * to it; in two stores (the control: they cannot see each other) they ask for about twice the limit and get 429s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../lambdas/core/run/manifest.ts';
import { RunConfigSchema, runIdFor } from '../../lambdas/core/run/run-config.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { missingFixtures, missingMessage } from '../support/fixtures.ts';
import { motoAvailability, startMoto, type MotoServer } from '../support/moto.ts';
import { assetOverrides, FIXTURES, MODEL, newBucket, readJson, runWorkflow } from './harness.ts';

const moto = motoAvailability();
const missing = missingFixtures(...FIXTURES);
const skip = !moto.available ? moto.reason : missing.length ? missingMessage(missing) : undefined;
if (skip) console.warn(`[skip] shared rate tests: ${skip}`);

/** The account's limit, and the rows each run judges. */
const RPM = 600;
const ROWS = 40;

let s3: MotoServer;
let engine: FakeEngine;
let judge: FakeOpenAI;

beforeAll(async () => {
  if (skip) return;
  s3 = await startMoto();
  engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 });
  judge = await startFakeOpenAI({ rpm: RPM, latencyMs: 20 });
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.stop(), engine?.close(), judge?.close()]);
});

/** Two runs judged at once, in one store or two; the chat requests' arrival times and how many got 429. */
async function twoRuns(stores: 'shared' | 'separate') {
  const buckets = stores === 'shared' ? [await newBucket(s3)] : [await newBucket(s3), await newBucket(s3)];
  const arrivals: number[] = [];
  judge.options.fault = () => {
    arrivals.push(performance.now());
    return undefined;
  };
  const rateLimitedBefore = judge.stats.rateLimited;
  const configs = ['model-a', 'model-b'].map((name) => ({
    model: MODEL, name: `${name}-${stores}`, maxInstances: ROWS, assets: assetOverrides(),
    judge: { baseUrl: judge.baseUrl, concurrency: 8, chunkSize: 5, parallelChunks: 2, rpm: RPM },
  }));
  // the judge's own 429 handling is tested elsewhere: here a row may wait as long as it needs
  const runs = await Promise.all(configs.map((config, i) => runWorkflow({ moto: s3, bucket: buckets[i % buckets.length]!, config, engineBaseUrl: engine.baseUrl })));
  judge.options.fault = undefined;
  for (const [i, r] of runs.entries()) {
    expect(r.result, configs[i]!.name).toMatchObject({ status: 'SUCCEEDED' });
    const manifest = (await readJson<RunManifest>(s3, buckets[i % buckets.length]!, `runs/${runIdFor(RunConfigSchema.parse(configs[i]))}/manifest.json`))!;
    expect(manifest.stages.judge!.details).toMatchObject({ rows: ROWS, failed: 0 });
  }
  arrivals.sort((a, b) => a - b);
  const rateLimited = judge.stats.rateLimited - rateLimitedBefore;
  // answered requests per minute over the judging span, less the limiter's one-second burst
  const spanMin = (arrivals.at(-1)! - arrivals[0]!) / 60_000;
  return { requests: arrivals.length, rateLimited, rpm: (arrivals.length - RPM / 60) / spanMin };
}

describe.skipIf(!!skip)('concurrent runs and the judge\'s rate limits', () => {
  it('two runs in one store keep together to the account\'s RPM; in two stores they exceed it', async () => {
    const shared = await twoRuns('shared');
    const separate = await twoRuns('separate');
    console.log(`two runs, ${RPM} RPM account: one store ${shared.rpm.toFixed(0)} RPM answered, ${shared.rateLimited} 429s for ${shared.requests} answers; `
      + `two stores ${separate.rpm.toFixed(0)} RPM answered, ${separate.rateLimited} 429s for ${separate.requests} answers`);
    expect(shared.rpm).toBeLessThanOrEqual(RPM * 1.1);
    expect(shared.rateLimited / shared.requests).toBeLessThanOrEqual(0.1);
    // the control: runs that cannot see each other ask for about twice what the account allows, and are refused
    expect(separate.rateLimited).toBeGreaterThan(3 * shared.rateLimited);
  }, 180_000);
});
