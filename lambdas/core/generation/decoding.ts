/**
 * Decoding parameters of generation. Defaults follow the project plan: up to 512 new tokens, nucleus sampling with
 * temperature 0.7 and top-p 0.9; a seed makes sampling reproducible on engines that honour per-request seeds (vLLM).
 */
import { UsageError } from '../errors.ts';

export interface DecodingParams {
  maxNewTokens: number;
  /** 0 means greedy decoding. */
  temperature: number;
  topP: number;
  /** Per-request sampling seed; null leaves sampling unseeded. */
  seed: number | null;
}

export const DEFAULT_DECODING: Readonly<DecodingParams> = Object.freeze({
  maxNewTokens: 512,
  temperature: 0.7,
  topP: 0.9,
  seed: null,
});

/** Whether the parameters sample (temperature above 0) rather than decode greedily. */
export function isSampling(params: DecodingParams): boolean {
  return params.temperature > 0;
}

/** Defaults overridden by the given values, validated. Throws `UsageError` for values an engine would refuse. */
export function resolveDecoding(overrides: Partial<DecodingParams> = {}): DecodingParams {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const p: DecodingParams = { ...DEFAULT_DECODING, ...defined };
  if (!Number.isSafeInteger(p.maxNewTokens) || p.maxNewTokens < 1) {
    throw new UsageError(`max new tokens must be a positive integer, got ${p.maxNewTokens}`);
  }
  if (!Number.isFinite(p.temperature) || p.temperature < 0) {
    throw new UsageError(`temperature must be a number ≥ 0, got ${p.temperature}`);
  }
  if (!Number.isFinite(p.topP) || p.topP <= 0 || p.topP > 1) {
    throw new UsageError(`top-p must be in (0, 1], got ${p.topP}`);
  }
  if (p.seed !== null && (!Number.isSafeInteger(p.seed) || p.seed < 0)) {
    throw new UsageError(`seed must be a non-negative integer, got ${p.seed}`);
  }
  return p;
}
