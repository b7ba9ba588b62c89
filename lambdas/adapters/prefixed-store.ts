/** A view of a BlobStore under a key prefix (a run folder inside the results store). */
import type { BlobStore, PutOptions, TaggedBlob, WriteCondition } from '../ports.ts';

export class PrefixedBlobStore implements BlobStore {
  readonly url: string;
  private readonly prefix: string;

  constructor(private readonly inner: BlobStore, prefix: string) {
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.url = `${inner.url.replace(/\/?$/, '/')}${this.prefix}`;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(this.prefix + key);
  }

  put(key: string, body: string | Uint8Array, options?: PutOptions): Promise<void> {
    return this.inner.put(this.prefix + key, body, options);
  }

  getTagged(key: string): Promise<TaggedBlob | undefined> {
    return this.inner.getTagged(this.prefix + key);
  }

  putIf(key: string, body: string | Uint8Array, condition: WriteCondition, options?: PutOptions): Promise<boolean> {
    return this.inner.putIf(this.prefix + key, body, condition, options);
  }

  async list(prefix: string): Promise<string[]> {
    const keys = await this.inner.list(this.prefix + prefix);
    return keys.map((k) => k.slice(this.prefix.length));
  }

  locate(key: string): string {
    return this.inner.locate(this.prefix + key);
  }
}
