/**
 * scikit-learn's GroupKFold (1.2) fold assignment for the LC fit, where every group has the same size
 * (each training row appears twice). GroupKFold orders groups by `np.argsort(sizes)[::-1]` and deals them
 * round robin to the lightest fold, so the k-th group of that order goes to fold k mod n_splits. With equal
 * sizes the order is whatever numpy's unstable argsort does with ties:
 * - 'stable': argsort returns 0..N−1 (numpy 2.x SIMD sorts): group g → fold (N−1−g) mod n_splits.
 *   The goldens use this.
 * - 'numpy-classic': numpy's scalar introsort (`aquicksort`, numpy ≤ 1.24 and builds without SIMD sort):
 *   median-of-3 quicksort, insertion sort for partitions of ≤ 16 elements, heapsort below the depth limit.
 */
export type FoldOrder = 'stable' | 'numpy-classic';

const SMALL_QUICKSORT = 15;
const PYA_QS_STACK = 128;

/** numpy's classic `aquicksort` for integer keys: returns the (unstable) argsort permutation. */
export function numpyClassicArgsort(v: ArrayLike<number>): Int32Array {
  const num = v.length;
  const tosort = new Int32Array(num);
  for (let i = 0; i < num; i++) tosort[i] = i;
  if (num < 2) return tosort;
  const stack = new Int32Array(PYA_QS_STACK);
  const depth = new Int32Array(PYA_QS_STACK);
  let sptr = 0;
  let psdepth = 0;
  let pl = 0;
  let pr = num - 1;
  let cdepth = msb(num) * 2;
  const swap = (a: number, b: number): void => {
    const t = tosort[a]!;
    tosort[a] = tosort[b]!;
    tosort[b] = t;
  };
  for (;;) {
    if (cdepth < 0) {
      aheapsort(v, tosort, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (v[tosort[pm]!]! < v[tosort[pl]!]!) swap(pm, pl);
        if (v[tosort[pr]!]! < v[tosort[pm]!]!) swap(pr, pm);
        if (v[tosort[pm]!]! < v[tosort[pl]!]!) swap(pm, pl);
        const vp = v[tosort[pm]!]!;
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (v[tosort[pi]!]! < vp);
          do --pj;
          while (vp < v[tosort[pj]!]!);
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        // push the larger partition, continue with the smaller one
        if (pi - pl < pr - pi) {
          stack[sptr++] = pi + 1;
          stack[sptr++] = pr;
          pr = pi - 1;
        } else {
          stack[sptr++] = pl;
          stack[sptr++] = pi - 1;
          pl = pi + 1;
        }
        depth[psdepth++] = --cdepth;
      }
      // insertion sort
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = tosort[pi]!;
        const vp = v[vi]!;
        let pj = pi;
        let pk = pi - 1;
        while (pj > pl && vp < v[tosort[pk]!]!) tosort[pj--] = tosort[pk--]!;
        tosort[pj] = vi;
      }
    }
    if (sptr === 0) break;
    pr = stack[--sptr]!;
    pl = stack[--sptr]!;
    cdepth = depth[--psdepth]!;
  }
  return tosort;
}

/** numpy's `aheapsort` argsort alone (introsort's fallback below the depth limit). */
export function numpyHeapArgsort(v: ArrayLike<number>): Int32Array {
  const tosort = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) tosort[i] = i;
  aheapsort(v, tosort, 0, v.length);
  return tosort;
}

/** numpy's `aheapsort` on tosort[start .. start+n). */
function aheapsort(v: ArrayLike<number>, tosort: Int32Array, start: number, n: number): void {
  const a = (k: number): number => tosort[start + k - 1]!; // 1-based view
  const set = (k: number, x: number): void => {
    tosort[start + k - 1] = x;
  };
  for (let l = n >> 1; l > 0; --l) {
    const tmp = a(l);
    let i = l;
    for (let j = l << 1; j <= n; ) {
      if (j < n && v[a(j)]! < v[a(j + 1)]!) j += 1;
      if (v[tmp]! < v[a(j)]!) {
        set(i, a(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, tmp);
  }
  for (; n > 1; ) {
    const tmp = a(n);
    set(n, a(1));
    n -= 1;
    let i = 1;
    for (let j = 2; j <= n; ) {
      if (j < n && v[a(j)]! < v[a(j + 1)]!) j++;
      if (v[tmp]! < v[a(j)]!) {
        set(i, a(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, tmp);
  }
}

function msb(n: number): number {
  let depth = 0;
  while ((n = Math.floor(n / 2)) > 0) depth++;
  return depth;
}

/** Fold index (0..nSplits−1) of each of `nGroups` equal-size groups. */
export function groupKFoldEqualGroups(nGroups: number, nSplits = 5, order: FoldOrder = 'stable'): Int32Array {
  if (!Number.isInteger(nSplits) || nSplits < 2) throw new Error(`nSplits must be an integer ≥ 2, got ${nSplits}`);
  if (nGroups < nSplits) {
    throw new Error(`Cannot have number of splits n_splits=${nSplits} greater than the number of groups: ${nGroups}.`);
  }
  const fold = new Int32Array(nGroups);
  if (order === 'stable') {
    for (let g = 0; g < nGroups; g++) fold[g] = (nGroups - 1 - g) % nSplits;
    return fold;
  }
  if (order !== 'numpy-classic') throw new Error(`unknown fold order ${String(order)}`);
  const sorted = numpyClassicArgsort(new Array<number>(nGroups).fill(2));
  for (let k = 0; k < nGroups; k++) fold[sorted[nGroups - 1 - k]!] = k % nSplits;
  return fold;
}
