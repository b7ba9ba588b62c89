/**
 * MT19937 — the 32-bit Mersenne Twister of Matsumoto and Nishimura (1998).
 *
 * Written here from the published algorithm. Three consumers in this project need it bit for bit:
 * - liblinear's `std::mt19937` seeded with `init_genrand(seed)` (coordinate shuffling in the LC solver),
 * - numpy's legacy `RandomState(seed)` (scikit-learn's per-fit liblinear seeds),
 * - CPython's `random.Random(str)` seeded through `init_by_array` (judge output-order randomisation).
 */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** Seeds like `init_genrand(seed)` (std::mt19937(seed), numpy RandomState(int)). */
  static fromSeed(seed: number): Mt19937 {
    const g = new Mt19937();
    g.initGenrand(seed >>> 0);
    return g;
  }

  /** Seeds like `init_by_array(key)` (CPython's random.seed for ints, bytes and str). */
  static fromKey(key: ArrayLike<number>): Mt19937 {
    const g = new Mt19937();
    g.initByArray(key);
    return g;
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing precision
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: ArrayLike<number>): void {
    this.initGenrand(19650218);
    const mt = this.mt;
    const len = key.length;
    let i = 1;
    let j = 0;
    for (let k = N > len ? N : len; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + (key[j]! >>> 0) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.mti = N;
  }

  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.mti = 0;
  }

  /** Next 32-bit output, as an unsigned number in [0, 2^32). */
  nextUint32(): number {
    if (this.mti >= N) {
      if (this.mti === N + 1) this.initGenrand(5489);
      this.twist();
    }
    let y = this.mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** CPython `random.random()` / numpy `random_sample()`: 53-bit float in [0, 1). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}
