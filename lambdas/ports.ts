/**
 * Ports: the small interfaces through which services reach the outside world. Adapters implement them
 * (`adapters/`), services and handlers depend only on these.
 */

/** HTTP metadata of a written object (kept by S3; a directory has none to keep). */
export interface PutOptions {
  contentType?: string;
  /** Served as the Cache-Control header (S3 object metadata, honoured by CloudFront and browsers). */
  cacheControl?: string;
}

/** An object's bytes with its version tag (S3's ETag; a content hash on disk). */
export interface TaggedBlob {
  body: Buffer;
  tag: string;
}

/** The precondition of a conditional write: the object does not exist, or still has this tag. */
export type WriteCondition = { absent: true } | { tag: string };

/** A flat key → bytes store rooted at one location (`file:///dir` or `s3://bucket/prefix`). */
export interface BlobStore {
  /** The store's root URL, for messages and manifests. */
  readonly url: string;
  /** Returns the object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /** Writes an object atomically: a reader never sees a partial object. */
  put(key: string, body: string | Uint8Array, options?: PutOptions): Promise<void>;
  /** Returns the object's bytes and version tag, or undefined when it does not exist. */
  getTagged(key: string): Promise<TaggedBlob | undefined>;
  /**
   * Writes a small object only if `condition` holds when the write lands (S3 conditional writes); false, and nothing
   * written, when another writer got there first. Leases are built on it.
   */
  putIf(key: string, body: string | Uint8Array, condition: WriteCondition, options?: PutOptions): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** The URL a person can open for a key (a path on disk, or s3://…). */
  locate(key: string): string;
}

/** Where a benchmark asset came from, recorded in outputs so a number can be traced to its inputs. */
export interface AssetProvenance {
  name: string;
  source: string;
  origin: 'flag' | 'env' | 'default';
  sha256: string;
  pinnedSha256: string | null;
  matchesPin: boolean | null;
  fromCache: boolean;
}

/** Supplies benchmark assets by name (eval set, judge template, leaderboard, LC tables). */
export interface AssetSource {
  text(name: import('./core/assets-catalog.ts').AssetName): Promise<{ asset: AssetProvenance; text: string }>;
}

/** Structured logging (Powertools' Logger in Lambda, a stderr logger locally). Never given secrets. */
export interface LogPort {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * Runs bootstrap replicates (`core/metrics/glm/bootstrap.ts` `runReplicates`) over contiguous index ranges — in
 * this thread or on worker threads. The result is the same whatever the split: each replicate has its own seed.
 */
export interface ReplicateRunner {
  run(
    plan: import('./core/metrics/glm/bootstrap.ts').BootstrapPlan, replicates: number,
  ): Promise<import('./core/metrics/glm/bootstrap.ts').ReplicateValues>;
}
