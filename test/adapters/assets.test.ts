import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetResolver, sha256Hex } from '../../lambdas/adapters/assets.ts';
import { ASSETS } from '../../lambdas/core/assets-catalog.ts';
import { AssetError } from '../../lambdas/core/errors.ts';
import { startServer, type TestServer } from '../support/http-server.ts';

const GAMED = 'index,preference,std_delta_len,instruction_difficulty,not_gamed_baseline,model\n0,0.5,0.1,0.0,False,x\n';
let server: TestServer;
let status = 200;

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (status !== 200) {
      res.writeHead(status).end('nope');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(req.url?.endsWith('df_gamed.csv') ? GAMED : 'other bytes');
  });
});
afterAll(() => server.close());

/** Routes the pinned public URLs to the loopback server (tests never leave the machine). */
function loopbackFetch(): typeof fetch {
  return (input, init) => {
    const url = String(input).replace(/^https:\/\/[^/]+/, server.url);
    return fetch(url, init);
  };
}

async function resolver(extra: Partial<ConstructorParameters<typeof AssetResolver>[0]> = {}) {
  const cacheDir = await mkdtemp(join(tmpdir(), 'aep-assets-'));
  return new AssetResolver({ cacheDir, env: {}, fetchImpl: loopbackFetch(), ...extra });
}

describe('AssetResolver', () => {
  it('downloads an unpinned asset once, records its SHA-256 and serves the cached copy afterwards', async () => {
    status = 200;
    const cacheDir = await mkdtemp(join(tmpdir(), 'aep-assets-'));
    const before = server.requests.length;
    const first = await new AssetResolver({ cacheDir, env: {}, fetchImpl: loopbackFetch() }).get('gamed');
    const again = await new AssetResolver({ cacheDir, env: {}, fetchImpl: loopbackFetch() }).get('gamed');
    expect(first.bytes.toString()).toBe(GAMED);
    expect(first.sha256).toBe(sha256Hex(GAMED));
    expect(first.fromCache).toBe(false);
    expect(first.matchesPin).toBeNull();
    expect(again.fromCache).toBe(true);
    expect(again.sha256).toBe(first.sha256);
    expect(server.requests.length - before).toBe(1);
  });

  it('refuses a pinned asset whose bytes do not match the pin, and caches nothing', async () => {
    status = 200;
    const r = await resolver();
    await expect(r.get('leaderboard')).rejects.toThrow(/has SHA-256 [0-9a-f]{64}, expected the pinned fe32bf85/);
    await expect(r.get('leaderboard')).rejects.toBeInstanceOf(AssetError);
  });

  it('says which flag supplies a local file when the download fails and nothing is cached', async () => {
    status = 503;
    const r = await resolver();
    await expect(r.get('gamed')).rejects.toThrow(/cannot download df_gamed\.csv .*HTTP 503.*supply a local copy with --gamed PATH \(or AEP_GAMED\)/);
  });

  it('never downloads when AEP_OFFLINE=1', async () => {
    status = 200;
    const before = server.requests.length;
    const r = await resolver({ env: { AEP_OFFLINE: '1' } });
    await expect(r.get('instruction-difficulty')).rejects.toThrow(/AEP_OFFLINE=1 .*--instruction-difficulty PATH/);
    expect(server.requests.length).toBe(before);
  });

  it('prefers the flag over the environment variable, and records whether a local file matches the pin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-local-'));
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    await writeFile(a, 'flag');
    await writeFile(b, 'env');
    const r = await resolver({ overrides: { leaderboard: a }, env: { AEP_LEADERBOARD: b, AEP_GAMED: b } });
    const lb = await r.get('leaderboard');
    const gamed = await r.get('gamed');
    expect([lb.origin, lb.bytes.toString(), lb.matchesPin]).toEqual(['flag', 'flag', false]);
    expect([gamed.origin, gamed.bytes.toString()]).toEqual(['env', 'env']);
  });

  it('names the flag when a local file is missing', async () => {
    const r = await resolver({ overrides: { gamed: '/nonexistent/df_gamed.csv' } });
    await expect(r.get('gamed')).rejects.toThrow('cannot read df_gamed.csv from /nonexistent/df_gamed.csv (given by --gamed)');
  });

  it('sends HF_TOKEN only to huggingface.co', async () => {
    status = 200;
    const seen: (string | null)[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return loopbackFetch()(input, init);
    };
    const r = await resolver({ env: { HF_TOKEN: 'hf_secret' }, fetchImpl: spy, overrides: { leaderboard: `${server.url}/lb.csv` } });
    await r.get('gamed');
    await r.get('leaderboard');
    expect(ASSETS.gamed.url).toMatch(/^https:\/\/huggingface\.co\//);
    expect(seen).toEqual(['Bearer hf_secret', null]);
  });
});
