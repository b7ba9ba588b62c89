/**
 * The engine port: one completion per request from an OpenAI-compatible server. Adapters (`adapters/openai-engine.ts`)
 * implement it and translate vendor errors into `EngineError`s.
 */
import type { PromptInput } from './prompt-mode.ts';

/** One generation request. */
export type EngineRequest = PromptInput & {
  model: string;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number | null;
};

/** One finished completion. */
export interface EngineCompletion {
  /** The text as the engine returned it (not stripped). */
  text: string;
  /** `stop`, `length` (hit max tokens), or whatever else the engine reports; null when it reports nothing. */
  finishReason: string | null;
  /** Tokens generated, from the engine's usage report; null when it reports none. */
  completionTokens: number | null;
  promptTokens: number | null;
  /** Requests sent, retries included. */
  attempts: number;
}

export interface GenerationEngine {
  /** Where the engine is, for messages and the manifest. */
  readonly baseUrl: string;
  /** The model names the engine serves. Throws `EngineError` when it cannot be reached. */
  listModels(options?: { signal?: AbortSignal }): Promise<string[]>;
  /** One completion, retried on transient failures. Throws `EngineError` (or a subclass) when it cannot be had. */
  complete(request: EngineRequest, options?: { signal?: AbortSignal }): Promise<EngineCompletion>;
}
