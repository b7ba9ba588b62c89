/**
 * numpy's legacy `RandomState` bounded integers: `random_interval(max)` for max < 2^32 draws 32-bit values masked
 * to the smallest 2^k − 1 ≥ max until one is ≤ max (no draw at all when max is 0). Used by `permutation`
 * (the official max_instances subset) and `randint` (scikit-learn's liblinear seeds).
 */
import type { Mt19937 } from './mt19937.ts';

export function randomInterval(rng: Mt19937, max: number): number {
  if (max === 0) return 0;
  let mask = max;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask >>>= 0;
  for (;;) {
    const value = (rng.nextUint32() & mask) >>> 0;
    if (value <= max) return value;
  }
}
