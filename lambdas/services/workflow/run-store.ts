/** Reading and writing the objects of one run folder. */
import { PrefixedBlobStore } from '../../adapters/prefixed-store.ts';
import { parseManifest, type RunManifest } from '../../core/run/manifest.ts';
import { RUN_FILES } from '../../core/run/layout.ts';
import { RunConfigSchema, type RunConfig } from '../../core/run/run-config.ts';
import type { BlobStore } from '../../ports.ts';

export class RunFolder {
  readonly store: BlobStore;
  constructor(root: BlobStore, readonly prefix: string) {
    this.store = new PrefixedBlobStore(root, prefix);
  }

  get url(): string {
    return this.store.url;
  }

  async text(key: string): Promise<string | undefined> {
    return (await this.store.get(key))?.toString('utf8');
  }

  /** Reads an object that must exist (a missing one means an earlier step did not run). */
  async require(key: string): Promise<string> {
    const t = await this.text(key);
    if (t === undefined) throw new Error(`${this.store.locate(key)} is missing: the step that writes it has not run`);
    return t;
  }

  async json<T>(key: string): Promise<T | undefined> {
    const t = await this.text(key);
    return t === undefined ? undefined : (JSON.parse(t) as T);
  }

  putJson(key: string, value: unknown): Promise<void> {
    return this.store.put(key, `${JSON.stringify(value, null, 2)}\n`, { contentType: 'application/json' });
  }

  async manifest(): Promise<RunManifest | undefined> {
    const t = await this.text(RUN_FILES.manifest);
    return t === undefined ? undefined : parseManifest(t, this.store.locate(RUN_FILES.manifest));
  }

  async requireManifest(): Promise<RunManifest> {
    const m = await this.manifest();
    if (!m) throw new Error(`${this.store.locate(RUN_FILES.manifest)} is missing: the run was never prepared`);
    return m;
  }

  writeManifest(m: RunManifest): Promise<void> {
    return this.putJson(RUN_FILES.manifest, m);
  }

  async config(): Promise<RunConfig> {
    return RunConfigSchema.parse(JSON.parse(await this.require(RUN_FILES.config)));
  }
}
