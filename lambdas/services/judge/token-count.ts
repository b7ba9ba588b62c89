/**
 * Prompt-token counting of judge requests with a real BPE tokenizer (`gpt-tokenizer`), for `aep estimate` and the
 * TPM budget.
 *
 * Rule: OpenAI's published chat accounting for the gpt-4 / gpt-4o families — every message costs 3 tokens plus the
 * tokens of each of its field values (`role`, `content`, and any extra field; a `name` field costs 1 more), and every
 * request 3 more for priming the reply. Encoding: o200k_base for gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1/o3/o4*;
 * cl100k_base for the other gpt-4* and gpt-3.5* models (gpt-4-1106-preview, gpt-4-turbo); any other model name (a
 * vLLM judge) is counted with cl100k_base as an approximation. Special-token text inside outputs (e.g.
 * `<|endoftext|>`) counts as plain text, as the API treats it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChatMessage } from '../../core/judge/prompt.ts';

export type EncodingName = 'cl100k_base' | 'o200k_base';

export interface TokenizerChoice {
  encoding: EncodingName;
  /** False when the model is not an OpenAI model whose tokenizer is known. */
  exact: boolean;
  /** One sentence describing the rule applied. */
  rule: string;
}

/** Tokens added per message, per `name` field, and per request (reply priming). */
export const CHAT_OVERHEAD = Object.freeze({ perMessage: 3, perName: 1, perRequest: 3 });

const O200K = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)/;
const CL100K = /^(gpt-4|gpt-3\.5|gpt-35)/;

/** The encoding of a judge model. */
export function encodingForModel(model: string): TokenizerChoice {
  const overhead = `+${CHAT_OVERHEAD.perMessage} tokens per message, +${CHAT_OVERHEAD.perRequest} per request`;
  if (O200K.test(model)) return { encoding: 'o200k_base', exact: true, rule: `o200k_base for ${model}, ${overhead}` };
  if (CL100K.test(model)) return { encoding: 'cl100k_base', exact: true, rule: `cl100k_base for ${model}, ${overhead}` };
  return {
    encoding: 'cl100k_base',
    exact: false,
    rule: `${model} is not an OpenAI model with a known tokenizer: approximated with cl100k_base, ${overhead}`,
  };
}

type Encode = (text: string, options: { disallowedSpecial: Set<string> }) => number[];

export interface PromptTokenCounter {
  readonly choice: TokenizerChoice;
  /** Prompt tokens of one request with these messages. */
  count(messages: readonly ChatMessage[]): number;
}

/** Folder, next to a Lambda bundle, of the encodings built as separate files (`infra/bundling.ts`). */
export const TOKENIZER_DIR = 'tokenizers';

/**
 * Loads one encoding. The specifiers are computed, so no bundler inlines the tables (1–3 MB each) into a Lambda
 * bundle that imports this module: a bundle that counts tokens ships them as `tokenizers/<name>.mjs` next to itself
 * and loads them only when it counts; from the sources or the built CLI the package is imported.
 */
async function loadEncoding(name: EncodingName): Promise<{ encode: Encode }> {
  const sidecar = new URL(`./${TOKENIZER_DIR}/${name}.mjs`, import.meta.url);
  const specifier = existsSync(fileURLToPath(sidecar)) ? sidecar.href : `gpt-tokenizer/encoding/${name}`;
  return await import(specifier) as { encode: Encode };
}

/** Loads the model's encoding (lazily: each table is several MB) and returns a counter. */
export async function createPromptTokenCounter(model: string): Promise<PromptTokenCounter> {
  const choice = encodingForModel(model);
  const { encode } = await loadEncoding(choice.encoding);
  const plain = { disallowedSpecial: new Set<string>() };
  return {
    choice,
    count(messages) {
      let total = CHAT_OVERHEAD.perRequest;
      for (const message of messages) {
        total += CHAT_OVERHEAD.perMessage;
        for (const [field, value] of Object.entries(message)) {
          total += encode(value, plain).length;
          if (field === 'name') total += CHAT_OVERHEAD.perName;
        }
      }
      return total;
    },
  };
}
