import { describe, expect, it } from 'vitest';
import { formatProgress } from '../../../lambdas/core/generation/progress.ts';

describe('progress', () => {
  it('formats one compact line with rate and eta', () => {
    expect(formatProgress({ done: 310, total: 805, tokens: 62_000, inFlight: 64, atTokenLimit: 12, retries: 2, elapsedMs: 62_000, resumed: 0 }))
      .toBe('generate 310/805 rows (38%) · 62000 tok · 1000 tok/s · 64 in flight · 12 at limit · 2 retries · 1m02s · eta 1m39s');
    expect(formatProgress({ done: 5, total: 5, tokens: 0, inFlight: 0, atTokenLimit: 0, retries: 0, elapsedMs: 0, resumed: 5 }))
      .toBe('generate 5/5 rows (100%) · 0 tok · 0 tok/s · 0 in flight · 0 at limit · 5 resumed · 0s');
  });
});
