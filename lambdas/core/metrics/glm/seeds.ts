/**
 * The liblinear seeds scikit-learn draws for each fit: `_fit_liblinear` calls
 * `rnd.randint(np.iinfo("i").max)` on the RandomState of its `_logistic_regression_path` call, which
 * `check_random_state(123)` creates afresh for every path. Inside LogisticRegressionCV every fold runs one
 * path over the Cs, so the k-th C of every fold gets draw k; the refit is a one-C path and gets draw 0.
 *
 * numpy's legacy `randint(high)` for high − 1 < 2^32 takes 32-bit draws masked to the smallest covering
 * bit mask and rejects values above high − 1 (here: x = draw & 0x7fffffff, redraw while x > 2^31 − 2).
 */
import { Mt19937 } from '../../random/mt19937.ts';
import { randomInterval } from '../../random/numpy-legacy.ts';

/** `np.iinfo("i").max`: the exclusive upper bound of the seeds. */
export const LIBLINEAR_SEED_HIGH = 2147483647;

/** The first `count` values of `RandomState(randomState).randint(high)` (legacy masked rejection). */
export function legacyRandint(count: number, randomState = 123, high = LIBLINEAR_SEED_HIGH): number[] {
  if (!Number.isInteger(high) || high < 1 || high > 4294967296) throw new Error(`unsupported randint high ${high}`);
  const rng = Mt19937.fromSeed(randomState);
  const out: number[] = [];
  for (let k = 0; k < count; k++) out.push(randomInterval(rng, high - 1));
  return out;
}

/** Seeds of the CV fits: entry k is used for the k-th C of every fold. */
export function liblinearSeedsCv(nCs: number, randomState = 123): number[] {
  return legacyRandint(nCs, randomState);
}

/** Seed of the refit on all rows (a one-C path: draw 0). */
export function liblinearSeedRefit(randomState = 123): number {
  return legacyRandint(1, randomState)[0]!;
}
