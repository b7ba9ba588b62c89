/**
 * The official `--max_instances` subset rule (`main.evaluate`, spec §1).
 *
 * If the model outputs and the reference have the same length, both are shuffled with pandas
 * `sample(frac=1, random_state=123)` — which is numpy's legacy `RandomState(123).permutation(n)` — and then the
 * first k rows of each are kept. With different lengths nothing is shuffled and the first k rows of each are kept.
 * Either way the selected instructions coincide only when the model file is in reference order.
 */
import { UsageError } from '../errors.ts';
import { Mt19937 } from '../random/mt19937.ts';
import { randomInterval } from '../random/numpy-legacy.ts';

/** The seed `main.evaluate` passes to `DataFrame.sample`. */
export const MAX_INSTANCES_SEED = 123;

/** Options of {@link legacyPermutation}. */
export interface PermutationOptions {
  /** The `RandomState` seed (`init_genrand`); the official subset rule uses 123. */
  seed?: number;
}

/**
 * numpy's legacy `RandomState(seed).permutation(n)`: `arange(n)` shuffled in place by Fisher–Yates from the end,
 * swapping position i with `random_interval(i)` for i = n−1 … 1.
 *
 * @example
 * legacyPermutation(10, { seed: 123 }); // [4, 0, 7, 5, 8, 3, 1, 6, 9, 2]
 */
export function legacyPermutation(n: number, { seed = MAX_INSTANCES_SEED }: PermutationOptions = {}): number[] {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`cannot permute ${n} items`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`a RandomState seed must be an integer in [0, 2^32 − 1], got ${seed}`);
  }
  const rng = Mt19937.fromSeed(seed);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i >= 1; i--) {
    const j = randomInterval(rng, i);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** The two tables after the subset rule, with whether they were shuffled. */
export interface MaxInstancesResult<M, R> {
  modelOutputs: M[];
  reference: R[];
  /** False when the lengths differed and the rows were cut without shuffling (the official tool only warns). */
  shuffled: boolean;
}

/**
 * Applies `--max_instances k` to both tables as the official tool does. Throws `UsageError` unless k is a positive
 * integer.
 */
export function selectMaxInstances<M, R>({ modelOutputs, reference, maxInstances }: {
  modelOutputs: readonly M[];
  reference: readonly R[];
  maxInstances: number;
}): MaxInstancesResult<M, R> {
  if (!Number.isSafeInteger(maxInstances) || maxInstances < 1) {
    throw new UsageError(`max instances must be a positive integer, got ${maxInstances}`);
  }
  if (modelOutputs.length !== reference.length) {
    return {
      modelOutputs: modelOutputs.slice(0, maxInstances),
      reference: reference.slice(0, maxInstances),
      shuffled: false,
    };
  }
  const order = legacyPermutation(reference.length).slice(0, maxInstances);
  return { modelOutputs: order.map((i) => modelOutputs[i]!), reference: order.map((i) => reference[i]!), shuffled: true };
}
