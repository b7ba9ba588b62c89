/**
 * Obtains benchmark assets: a local file or URL given by flag or environment variable, else the pinned public
 * source. Downloads are cached on disk (atomically written), checked against the pinned SHA-256 when the asset
 * has one, and their SHA-256 is recorded (and re-checked on later cache hits) when it has none.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSETS, type AssetName, type AssetSpec, type PanelAssetName } from '../core/assets-catalog.ts';
import { AssetError } from '../core/errors.ts';
import type { AssetProvenance } from '../ports.ts';

/** An asset's bytes, with where they came from (the provenance recorded in outputs and manifests). */
export interface ResolvedAsset extends AssetProvenance {
  name: AssetName | PanelAssetName;
  bytes: Buffer;
}

export interface AssetResolverOptions {
  cacheDir: string;
  /** Flag values by asset (a path, a file:// URL or an http(s) URL). */
  overrides?: Partial<Record<AssetName, string | undefined>>;
  /** Environment consulted for `AEP_*` overrides and `AEP_OFFLINE`; pass `process.env` from the edge. */
  env?: Record<string, string | undefined>;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `$AEP_CACHE_DIR`, else `$XDG_CACHE_HOME/alpaca-eval-pipeline`, else `~/.cache/alpaca-eval-pipeline`. */
export function defaultCacheDir(env: Record<string, string | undefined>): string {
  if (env.AEP_CACHE_DIR) return env.AEP_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'alpaca-eval-pipeline');
}

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

interface CacheMeta {
  url: string;
  sha256: string;
  downloadedAt: string;
}

export class AssetResolver {
  private readonly memo = new Map<string, Promise<ResolvedAsset>>();
  constructor(private readonly options: AssetResolverOptions) {}

  /** Resolves an asset once per resolver; later calls share the result. */
  get(name: AssetName): Promise<ResolvedAsset> {
    return this.getSpec(ASSETS[name]);
  }

  /** Resolves an asset described by its spec (the calibration panel's per-model files), once per resolver. */
  getSpec(spec: AssetSpec): Promise<ResolvedAsset> {
    let p = this.memo.get(spec.name);
    if (!p) {
      p = this.resolve(spec);
      this.memo.set(spec.name, p);
      p.catch(() => this.memo.delete(spec.name));
    }
    return p;
  }

  async text(name: AssetName): Promise<{ asset: ResolvedAsset; text: string }> {
    const asset = await this.get(name);
    return { asset, text: asset.bytes.toString('utf8') };
  }

  private choose(spec: AssetSpec): { source: string; origin: ResolvedAsset['origin'] } {
    const flag = this.options.overrides?.[spec.name as AssetName];
    if (flag) return { source: flag, origin: 'flag' };
    const env = this.options.env?.[spec.envVar];
    if (env) return { source: env, origin: 'env' };
    return { source: spec.url, origin: 'default' };
  }

  private async resolve(spec: AssetSpec): Promise<ResolvedAsset> {
    const { source, origin } = this.choose(spec);
    if (!isUrl(source)) {
      const path = source.startsWith('file://') ? fileURLToPath(source) : source;
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        throw new AssetError(`cannot read ${spec.fileName} from ${path} (given by ${origin === 'flag' ? spec.flag : spec.envVar}): ${(err as Error).message}`, { cause: err });
      }
      return this.result(spec, { source: path, origin, bytes, fromCache: false });
    }
    return this.fromUrl(spec, source, origin);
  }

  private result(spec: AssetSpec, r: { source: string; origin: ResolvedAsset['origin']; bytes: Buffer; fromCache: boolean }): ResolvedAsset {
    const sha256 = sha256Hex(r.bytes);
    return {
      name: spec.name, ...r, sha256, pinnedSha256: spec.sha256,
      matchesPin: spec.sha256 === null ? null : spec.sha256 === sha256,
    };
  }

  private cachePaths(spec: AssetSpec, url: string) {
    const dir = join(this.options.cacheDir, 'assets', sha256Hex(url).slice(0, 16));
    return { dir, file: join(dir, spec.fileName), meta: join(dir, `${spec.fileName}.meta.json`) };
  }

  private async fromUrl(spec: AssetSpec, url: string, origin: ResolvedAsset['origin']): Promise<ResolvedAsset> {
    const paths = this.cachePaths(spec, url);
    const enforcePin = origin === 'default' && spec.sha256 !== null;
    const cached = await this.readCache(paths);
    if (cached) {
      const sha = sha256Hex(cached.bytes);
      if (sha === cached.meta.sha256 && (!enforcePin || sha === spec.sha256)) {
        return this.result(spec, { source: url, origin, bytes: cached.bytes, fromCache: true });
      }
    }
    const hint = `supply a local copy with ${spec.flag} PATH (or ${spec.envVar})`;
    if (this.options.env?.AEP_OFFLINE === '1') {
      throw new AssetError(`${spec.fileName} (${spec.description}) is not in the cache ${paths.dir} and AEP_OFFLINE=1 forbids downloading ${url}; ${hint}`);
    }
    let bytes: Buffer;
    try {
      bytes = await this.download(url);
    } catch (err) {
      throw new AssetError(`cannot download ${spec.fileName} (${spec.description}) from ${url}: ${(err as Error).message}; no cached copy in ${paths.dir}; ${hint}`, { cause: err });
    }
    const sha = sha256Hex(bytes);
    if (enforcePin && sha !== spec.sha256) {
      throw new AssetError(`${spec.fileName} downloaded from ${url} has SHA-256 ${sha}, expected the pinned ${spec.sha256}; not cached; ${hint}`);
    }
    await mkdir(paths.dir, { recursive: true });
    await atomicWrite(paths.file, bytes);
    const meta: CacheMeta = { url, sha256: sha, downloadedAt: new Date().toISOString() };
    await atomicWrite(paths.meta, JSON.stringify(meta, null, 2));
    return this.result(spec, { source: url, origin, bytes, fromCache: false });
  }

  private async readCache(paths: { file: string; meta: string }): Promise<{ bytes: Buffer; meta: CacheMeta } | undefined> {
    try {
      const meta = JSON.parse(await readFile(paths.meta, 'utf8')) as CacheMeta;
      return { bytes: await readFile(paths.file), meta };
    } catch {
      return undefined;
    }
  }

  private async download(url: string): Promise<Buffer> {
    const f = this.options.fetchImpl ?? fetch;
    const headers: Record<string, string> = {};
    const token = this.options.env?.HF_TOKEN;
    if (token && new URL(url).hostname === 'huggingface.co') headers.authorization = `Bearer ${token}`;
    const res = await f(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    return Buffer.from(await res.arrayBuffer());
  }
}

/** Writes a file so that readers see either the old content or the whole new content. */
export async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
