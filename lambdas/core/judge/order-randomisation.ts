/**
 * Output-order randomisation of the official judge (`RandomSwitchTwoColumnsProcessor`, spec §3.3).
 *
 * For every row the official code calls `random.Random(seed_string).choices([False, True])[0]` with
 * `seed_string = "is_switched_outputs" + instruction + str(seed)`. When the answer is True the two outputs are
 * swapped before prompting (the model's output is shown first, as "m") and the parsed preference is mapped back
 * with `3 − x`. Reproducing CPython's string seeding exactly is what keeps our judge prompts identical to theirs.
 */
import { createHash } from 'node:crypto';
import { Mt19937 } from '../random/mt19937.ts';
import { JudgeInputError } from './errors.ts';

/** The column name the official processor uses as the prefix of every seed string. */
export const SWITCH_SEED_PREFIX = 'is_switched_outputs';

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The 32-bit key CPython's `random.seed(str)` (version 2) passes to `init_by_array`.
 *
 * bytes = UTF-8(seed); N = big-endian integer of (bytes ‖ SHA-512(bytes)); key = the 32-bit words of N, least
 * significant first, without the zero words above N's highest set bit (CPython sizes the key from N's bit length).
 * Throws `JudgeInputError` for a lone surrogate, which CPython cannot encode to UTF-8 either.
 */
export function pythonStringSeedKey(seed: string): Uint32Array {
  if (LONE_SURROGATE.test(seed)) {
    throw new JudgeInputError('seed text contains a lone UTF-16 surrogate, which Python cannot encode as UTF-8', {
      item: 'seed',
    });
  }
  const text = Buffer.from(seed, 'utf8');
  const bytes = Buffer.concat([text, createHash('sha512').update(text).digest()]);
  const nWords = Math.ceil(bytes.length / 4);
  const words = new Uint32Array(nWords);
  // word k holds bytes [len-4k-4, len-4k) read big-endian; the most significant word may be partial
  for (let k = 0; k < nWords; k++) {
    let w = 0;
    const end = bytes.length - 4 * k;
    for (let b = Math.max(0, end - 4); b < end; b++) w = w * 256 + bytes[b]!;
    words[k] = w;
  }
  let used = nWords;
  while (used > 1 && words[used - 1] === 0) used--;
  return words.subarray(0, used);
}

/** A generator in the state of CPython's `random.Random(seed)` for a `str` seed. */
export function pythonStringSeededRng(seed: string): Mt19937 {
  return Mt19937.fromKey(pythonStringSeedKey(seed));
}

/**
 * CPython `random.Random(seed).choices(choices)[0]` (alpaca_eval `utils.random_seeded_choice`):
 * `choices[floor(random() * len(choices))]`.
 */
export function randomSeededChoice<T>(seed: string, choices: readonly T[]): T {
  if (choices.length === 0) throw new JudgeInputError('cannot choose from an empty list', { item: 'choices' });
  const u = pythonStringSeededRng(seed).nextDouble();
  return choices[Math.floor(u * choices.length)]!;
}

/** Options of {@link isSwitchedOutputs}. */
export interface SwitchOptions {
  /** The annotator seed appended to the seed string; AlpacaEval 2.0 uses 0. */
  seed?: number;
}

/**
 * Whether the official judge shows the model output first for this instruction.
 *
 * @example
 * isSwitchedOutputs('What are the names of some famous actors that started their careers on Broadway?'); // true
 */
export function isSwitchedOutputs(instruction: string, { seed = 0 }: SwitchOptions = {}): boolean {
  if (!Number.isSafeInteger(seed)) {
    throw new JudgeInputError(`the switch seed must be an integer, got ${seed}`, { item: 'seed' });
  }
  return randomSeededChoice(SWITCH_SEED_PREFIX + instruction + String(seed), [false, true]);
}

/** The two outputs of a row, named as in the official annotations: output_1 = reference, output_2 = model. */
export interface OutputPair {
  output_1: string;
  output_2: string;
}

/** Whether a row is switched; the options object of {@link applySwitch} and {@link unswitchPreference}. */
export interface SwitchState {
  isSwitched: boolean;
}

/** The outputs in the order the judge sees them: `output_1` is shown as "m", `output_2` as "M". */
export function applySwitch(pair: OutputPair, { isSwitched }: SwitchState): OutputPair {
  return isSwitched
    ? { output_1: pair.output_2, output_2: pair.output_1 }
    : { output_1: pair.output_1, output_2: pair.output_2 };
}

/**
 * Maps a preference parsed from the judge (1 = first shown output wins, 2 = second wins) back to the row's own
 * order: `3 − x` when switched. The result is 1 + P(output_2 better), i.e. 1 + P(model better).
 */
export function unswitchPreference(preference: number, { isSwitched }: SwitchState): number {
  return isSwitched ? 3 - preference : preference;
}
