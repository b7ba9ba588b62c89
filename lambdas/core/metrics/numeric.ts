/**
 * Floating-point reductions that reproduce numpy / pandas bit for bit.
 *
 * numpy sums float64 arrays with pairwise summation (blocks of 128 summed with eight accumulators), and
 * pandas' `mean`, `std` and `sem` are built on those sums. Reproducing the order of additions is what makes
 * our win rates equal the official ones to the last bit rather than to ~1e-14.
 */

/** numpy's `pairwise_sum` for a float64 array (the inner loop of `np.add.reduce`). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = -0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    let r0 = a[start]!, r1 = a[start + 1]!, r2 = a[start + 2]!, r3 = a[start + 3]!;
    let r4 = a[start + 4]!, r5 = a[start + 5]!, r6 = a[start + 6]!, r7 = a[start + 7]!;
    let i = 8;
    const limit = n - (n % 8);
    for (; i < limit; i += 8) {
      const b = start + i;
      r0 += a[b]!; r1 += a[b + 1]!; r2 += a[b + 2]!; r3 += a[b + 3]!;
      r4 += a[b + 4]!; r5 += a[b + 5]!; r6 += a[b + 6]!; r7 += a[b + 7]!;
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.sum(a)`: the reduction starts from the identity and adds the pairwise sum. */
export function npSum(a: ArrayLike<number>): number {
  return 0 + pairwiseSum(a);
}

/** `np.mean(a)` / pandas `Series.mean()` on NaN-free data. */
export function npMean(a: ArrayLike<number>): number {
  return npSum(a) / a.length;
}

/** pandas `nanvar` (bottleneck off): sum of squared deviations from the pairwise mean, over n − ddof. */
export function pandasVar(a: ArrayLike<number>, ddof = 1): number {
  const n = a.length;
  if (n - ddof <= 0) return NaN;
  const avg = npSum(a) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = avg - a[i]!;
    sq[i] = d * d;
  }
  return npSum(sq) / (n - ddof);
}

/** pandas `Series.std(ddof=1)`. */
export function pandasStd(a: ArrayLike<number>, ddof = 1): number {
  return Math.sqrt(pandasVar(a, ddof));
}

/** pandas `Series.sem(ddof=1)` = sqrt(var) / sqrt(n). */
export function pandasSem(a: ArrayLike<number>, ddof = 1): number {
  return Math.sqrt(pandasVar(a, ddof)) / Math.sqrt(a.length);
}

/** Python `len(str)`: the number of Unicode code points (JavaScript's `.length` counts UTF-16 units). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low surrogate is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
