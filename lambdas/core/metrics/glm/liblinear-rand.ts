/**
 * scikit-learn's replacement for `rand()` in its bundled LIBLINEAR (`newrand.h`, BSD-3-Clause):
 * a 32-bit `std::mt19937` seeded with `init_genrand(seed)` and Lemire's multiply-shift bounded integer
 * with rejection. Written here from the description of that algorithm.
 */
import type { Mt19937 } from '../../random/mt19937.ts';

const TWO_32 = 4294967296;

/**
 * `bounded_rand_int(range)`: m = x·range (64-bit), result m >> 32, redraw while (m mod 2^32) is below
 * (2^32 − range) mod range. One draw is taken even when range = 1.
 */
export function boundedRandInt(rng: Mt19937, range: number): number {
  let x = rng.nextUint32();
  let lo = Math.imul(x, range) >>> 0;
  if (lo < range) {
    let t = (TWO_32 - range) >>> 0;
    if (t >= range) {
      t -= range;
      if (t >= range) t %= range;
    }
    while (lo < t) {
      x = rng.nextUint32();
      lo = Math.imul(x, range) >>> 0;
    }
  }
  return mulHigh32(x, range);
}

/** High 32 bits of the 64-bit product of two uint32 values, exactly. */
function mulHigh32(x: number, range: number): number {
  if (range < 2097152) return Math.floor((x * range) / TWO_32); // product < 2^53: exact
  const xh = x >>> 16;
  const xl = x & 0xffff;
  const a = xl * range; // < 2^48
  const b = xh * range; // < 2^48, weight 2^16
  const bl = b % 65536;
  const bh = (b - bl) / 65536;
  return bh + Math.floor((bl * 65536 + a) / TWO_32);
}
