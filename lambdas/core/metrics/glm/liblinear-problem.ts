/**
 * The input side of scikit-learn 1.2.1's LIBLINEAR `train()` (Fan, Chang, Hsieh, Wang, Lin;
 * BSD-3-Clause), for two classes: `remove_zero_weight` (rows with weight ≤ 0 are dropped before anything
 * else), `group_classes` with scikit-learn's sorted labels (rows regrouped stably as [smaller label,
 * larger label]; the larger label is +1), dense-to-sparse conversion (zeros are not stored) and the
 * transpose to columns (row order kept). Written here from a reading of that code.
 *
 * It also records which solver rows have bitwise-identical features ("unique rows"): the newGLMNET
 * solver keeps x·d and exp(w·x) once per unique row, which changes no result (see liblinear-l1r-lr.ts).
 */

/** A two-class problem in liblinear's solver order, in column form. */
export interface PreparedL1rLr {
  /** number of solver rows (rows kept) */
  readonly l: number;
  /** number of features */
  readonly d: number;
  /** rows labelled +1 / −1 (liblinear's pos / neg, used for eps) */
  readonly pos: number;
  readonly neg: number;
  /** input row of each solver row */
  readonly sourceRow: Int32Array;
  /** +1 / −1 per solver row */
  readonly ySign: Int8Array;
  /** instance weight per solver row */
  readonly weight: Float64Array;
  /** unique-row id of each solver row */
  readonly uid: Int32Array;
  readonly nUnique: number;
  /** non-zeros of column j over solver rows (ascending): positions [colStart[j], colStart[j+1]) */
  readonly colStart: Int32Array;
  readonly colRow: Int32Array;
  /** unique-row id of colRow[p] */
  readonly colUid: Int32Array;
  readonly colVal: Float64Array;
  /** non-zeros of column j over unique rows */
  readonly ucolStart: Int32Array;
  readonly ucolRow: Int32Array;
  readonly ucolVal: Float64Array;
}

export interface L1rLrData {
  /** n × d features, row-major */
  x: Float64Array;
  n: number;
  d: number;
  /** class labels: exactly two distinct values; the larger one is the positive class (+1) */
  y: ArrayLike<number>;
  sampleWeight: ArrayLike<number>;
  /**
   * Optional: rows sharing an id have bitwise-identical features (checked). Without it, identical rows
   * are found by comparing features.
   */
  identicalRowIds?: ArrayLike<number>;
}

export function prepareL1rLr(data: L1rLrData): PreparedL1rLr {
  const { x, n, d, y, sampleWeight } = data;
  if (x.length !== n * d) throw new Error(`x has ${x.length} values, expected n·d = ${n * d}`);
  if (y.length !== n || sampleWeight.length !== n) throw new Error('y and sampleWeight must have n entries');
  const hi = twoClasses(y)[1];
  // remove_zero_weight, then group_classes over the classes still present
  let nNeg = 0;
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    if (sampleWeight[i]! > 0) {
      if (y[i] === hi) nPos++;
      else nNeg++;
    }
  }
  const l = nNeg + nPos;
  const sourceRow = new Int32Array(l);
  const ySign = new Int8Array(l);
  const weight = new Float64Array(l);
  // both classes left: the first group is −1; a single class left is trained as +1 (one-vs-rest path)
  const firstSign = nPos > 0 && nNeg > 0 ? -1 : 1;
  let a = 0;
  let b = nNeg;
  for (let i = 0; i < n; i++) {
    const wi = sampleWeight[i]!;
    if (!(wi > 0)) continue;
    const isPos = y[i] === hi;
    const k = isPos ? b++ : a++;
    sourceRow[k] = i;
    ySign[k] = isPos ? 1 : firstSign;
    weight[k] = wi;
  }
  const pos = firstSign === 1 ? l : nPos;
  const { uid, nUnique, firstOf } = findIdenticalRows(data, sourceRow);
  const col = columns(x, d, l, (k) => sourceRow[k]!);
  const colUid = new Int32Array(col.row.length);
  for (let p = 0; p < colUid.length; p++) colUid[p] = uid[col.row[p]!]!;
  const ucol = columns(x, d, nUnique, (u) => sourceRow[firstOf[u]!]!);
  return {
    l, d, pos, neg: l - pos, sourceRow, ySign, weight, uid, nUnique,
    colStart: col.start, colRow: col.row, colUid, colVal: col.val,
    ucolStart: ucol.start, ucolRow: ucol.row, ucolVal: ucol.val,
  };
}

function twoClasses(y: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo < hi)) {
    throw new Error('This solver needs samples of at least 2 classes in the data, but the data contains only one class');
  }
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v !== lo && v !== hi) throw new Error(`only two classes are supported, found ${lo}, ${hi} and ${v}`);
  }
  return [lo, hi];
}

function sameBits(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function findIdenticalRows(data: L1rLrData, sourceRow: Int32Array) {
  const { x, d, identicalRowIds } = data;
  const l = sourceRow.length;
  const uid = new Int32Array(l);
  const firstOf = new Int32Array(l);
  let nUnique = 0;
  const seen = new Map<number | string, number>();
  for (let k = 0; k < l; k++) {
    const r = sourceRow[k]!;
    let key: number | string;
    if (identicalRowIds) key = identicalRowIds[r]!;
    else {
      key = '';
      for (let j = 0; j < d; j++) {
        const v = x[r * d + j]!;
        key += `${v === 0 ? 0 : v},`; // 0 and −0 are both skipped by liblinear: same row
      }
    }
    let u = seen.get(key);
    if (u === undefined) {
      u = nUnique++;
      seen.set(key, u);
      firstOf[u] = k;
    } else if (identicalRowIds) {
      const r0 = sourceRow[firstOf[u]!]!;
      for (let j = 0; j < d; j++) {
        const v0 = x[r0 * d + j]!;
        const v1 = x[r * d + j]!;
        if (!sameBits(v0, v1) && !(v0 === 0 && v1 === 0)) {
          throw new Error(`rows ${r0} and ${r} share identicalRowIds ${key} but their features differ`);
        }
      }
    }
    uid[k] = u;
  }
  return { uid, nUnique, firstOf };
}

/** Column-major non-zeros of the rows src(0..rows−1), ascending in k. */
function columns(x: Float64Array, d: number, rows: number, src: (k: number) => number) {
  const start = new Int32Array(d + 1);
  for (let k = 0; k < rows; k++) {
    const r = src(k);
    for (let j = 0; j < d; j++) if (x[r * d + j] !== 0) start[j + 1]!++;
  }
  for (let j = 0; j < d; j++) start[j + 1]! += start[j]!;
  const fill = start.slice(0, d);
  const row = new Int32Array(start[d]!);
  const val = new Float64Array(start[d]!);
  for (let k = 0; k < rows; k++) {
    const r = src(k);
    for (let j = 0; j < d; j++) {
      const v = x[r * d + j]!;
      if (v !== 0) {
        const p = fill[j]!++;
        row[p] = k;
        val[p] = v;
      }
    }
  }
  return { start, row, val };
}

/**
 * The same problem with new per-solver-row weights: rows whose new weight is ≤ 0 are removed (as
 * `remove_zero_weight` would), the others keep their solver order, sign and unique-row id. Used by the
 * bootstrap, where a resampled row's multiplicity becomes a weight factor (same objective as repeating it).
 */
export function reweightPrepared(prob: PreparedL1rLr, weight: ArrayLike<number>): PreparedL1rLr {
  if (weight.length !== prob.l) throw new Error(`reweightPrepared: ${weight.length} weights for ${prob.l} solver rows`);
  const newIndex = new Int32Array(prob.l);
  let l = 0;
  let pos = 0;
  for (let k = 0; k < prob.l; k++) {
    if (weight[k]! > 0) {
      newIndex[k] = l++;
      if (prob.ySign[k] === 1) pos++;
    } else newIndex[k] = -1;
  }
  const sourceRow = new Int32Array(l);
  const ySign = new Int8Array(l);
  const w = new Float64Array(l);
  const uid = new Int32Array(l);
  for (let k = 0; k < prob.l; k++) {
    const m = newIndex[k]!;
    if (m < 0) continue;
    sourceRow[m] = prob.sourceRow[k]!;
    ySign[m] = prob.ySign[k]!;
    w[m] = weight[k]!;
    uid[m] = prob.uid[k]!;
  }
  const d = prob.d;
  const colStart = new Int32Array(d + 1);
  for (let j = 0; j < d; j++) {
    let c = 0;
    for (let p = prob.colStart[j]!; p < prob.colStart[j + 1]!; p++) if (newIndex[prob.colRow[p]!]! >= 0) c++;
    colStart[j + 1] = colStart[j]! + c;
  }
  const colRow = new Int32Array(colStart[d]!);
  const colUid = new Int32Array(colStart[d]!);
  const colVal = new Float64Array(colStart[d]!);
  for (let j = 0, q = 0; j < d; j++) {
    for (let p = prob.colStart[j]!; p < prob.colStart[j + 1]!; p++) {
      const m = newIndex[prob.colRow[p]!]!;
      if (m < 0) continue;
      colRow[q] = m;
      colUid[q] = prob.colUid[p]!;
      colVal[q] = prob.colVal[p]!;
      q++;
    }
  }
  return {
    l, d, pos, neg: l - pos, sourceRow, ySign, weight: w, uid, nUnique: prob.nUnique,
    colStart, colRow, colUid, colVal, ucolStart: prob.ucolStart, ucolRow: prob.ucolRow, ucolVal: prob.ucolVal,
  };
}
