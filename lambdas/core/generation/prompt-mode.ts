/**
 * How an eval instruction becomes an engine request (spec §2): chat mode (the engine applies the model's chat
 * template to one user message), or a prompt template with `{instruction}` sent to `/v1/completions`. The default
 * `auto` mode is chat, falling back to the Llama-3 prompt format when the engine says the model has no chat template.
 */
import { InputError } from '../errors.ts';
import { findPlaceholders } from '../judge/prompt.ts';
import { replaceFirst } from '../judge/python-text.ts';

/** The fallback of `auto` mode: the Llama-3 instruct format, one user turn, the assistant header left open. */
export const LLAMA3_FALLBACK_TEMPLATE =
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{instruction}<|eot_id|>' +
  '<|start_header_id|>assistant<|end_header_id|>\n\n';

/** What the user asked for. */
export type PromptModeRequest =
  | { kind: 'auto' }
  | { kind: 'chat' }
  | { kind: 'template'; template: string; /** file name or URL, for messages and the manifest */ source: string };

/** What a row was actually generated with. */
export type PromptModeUsed = 'chat' | 'template' | 'llama3-fallback';

/** The request body part that carries the prompt. */
export type PromptInput =
  | { kind: 'chat'; messages: { role: 'user'; content: string }[] }
  | { kind: 'completion'; prompt: string };

/**
 * Checks a generation template like the official `make_prompts` (batch size 1): the placeholder `{instruction}`
 * occurs exactly once. Other placeholders are refused (the official tool would fill them from eval-set columns such
 * as the reference output, which a generation prompt must never see). Throws `InputError` naming the source.
 */
export function validatePromptTemplate(template: string, source: string): void {
  const placeholders = findPlaceholders(template);
  const count = placeholders.get('instruction') ?? 0;
  if (count !== 1) {
    throw new InputError({ file: source }, `a prompt template must contain {instruction} exactly once, found ${count}`);
  }
  const others = [...placeholders.keys()].filter((name) => name !== 'instruction');
  if (others.length > 0) {
    throw new InputError({ file: source },
      `unsupported placeholder${others.length > 1 ? 's' : ''} ${others.map((n) => `{${n}}`).join(', ')}; only {instruction} is filled`);
  }
}

/** `make_prompts` for one row: the first `{instruction}` replaced by the instruction, inserted literally. */
export function renderPrompt(template: string, instruction: string): string {
  return replaceFirst(template, '{instruction}', instruction);
}

/** The mode to start a run with: chat for auto, unless resumed rows show the engine already needed the fallback. */
export function initialPromptMode(request: PromptModeRequest, resumedModes: readonly PromptModeUsed[] = []): PromptModeUsed {
  if (request.kind === 'template') return 'template';
  if (request.kind === 'chat') return 'chat';
  return resumedModes.includes('llama3-fallback') ? 'llama3-fallback' : 'chat';
}

/** The template text a mode sends, or null for chat. */
export function templateOf(mode: PromptModeUsed, request: PromptModeRequest): string | null {
  if (mode === 'llama3-fallback') return LLAMA3_FALLBACK_TEMPLATE;
  if (mode === 'template') {
    if (request.kind !== 'template') throw new TypeError('template mode needs a template request');
    return request.template;
  }
  return null;
}

/** The prompt part of the request for one instruction. */
export function buildPromptInput(mode: PromptModeUsed, request: PromptModeRequest, instruction: string): PromptInput {
  const template = templateOf(mode, request);
  if (template === null) return { kind: 'chat', messages: [{ role: 'user', content: instruction }] };
  return { kind: 'completion', prompt: renderPrompt(template, instruction) };
}
