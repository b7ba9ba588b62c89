/**
 * Ports: the small interfaces through which services reach the outside world. Adapters implement them
 * (`adapters/`), services and handlers depend only on these.
 */

/** A flat key → bytes store rooted at one location (`file:///dir` or `s3://bucket/prefix`). */
export interface BlobStore {
  /** The store's root URL, for messages and manifests. */
  readonly url: string;
  /** Returns the object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /** Writes an object atomically: a reader never sees a partial object. */
  put(key: string, body: string | Uint8Array, options?: { contentType?: string }): Promise<void>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** The URL a person can open for a key (a path on disk, or s3://…). */
  locate(key: string): string;
}
