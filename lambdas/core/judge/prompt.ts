/**
 * Judge prompt construction, identical to alpaca_eval's `utils.make_prompts` (batch size 1) followed by
 * `utils.prompt_to_chatml` (spec §3.4).
 *
 * Filling is deliberately naive, as in the official code: each placeholder replaces the first occurrence of its
 * literal `{name}` in the partially filled prompt, without escaping. Chat conversion splits on `<|im_start|>` and
 * `<|im_end|>` wherever they appear, including inside model outputs. Both quirks are reproduced on purpose: they are
 * part of what the official judge saw.
 */
import { JudgeInputError } from './errors.ts';
import { PYTHON_WHITESPACE, pythonStrip, replaceFirst, splitOnce } from './python-text.ts';

export const CHATML_START = '<|im_start|>';
export const CHATML_END = '<|im_end|>';

/** The values a judge template can refer to. `null` prints as Python's `str(None)`. */
export interface JudgeTemplateValues {
  instruction: string | null;
  output_1: string | null;
  output_2: string | null;
}

/** One chat message; `system name=x k=v` role lines add the extra string fields `name`, `k`, … */
export interface ChatMessage {
  content: string;
  role: string;
  [field: string]: string;
}

// Python `re.findall(r"{([^ \s]+?)}", template)` with Python's `\s`.
const WS_CLASS = PYTHON_WHITESPACE.replace(/[\\\]^-]/g, (c) => `\\${c}`);
const PLACEHOLDER = new RegExp(`\\{([^${WS_CLASS}]+?)\\}`, 'g');

/** Python `str(value)` for the values a template receives. */
function pythonStr(value: string | null): string {
  return value === null ? 'None' : value;
}

/**
 * The placeholder names of a template in order of first appearance, each with its number of occurrences
 * (Python `Counter(re.findall(...))`).
 */
export function findPlaceholders(template: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/**
 * Checks a template the way `make_prompts` does for batch size 1 — every placeholder occurs exactly once and names a
 * known value — and returns the placeholder names in order of first appearance. Throws `JudgeInputError` otherwise.
 */
export function assertValidTemplate(template: string): (keyof JudgeTemplateValues)[] {
  const names: (keyof JudgeTemplateValues)[] = [];
  for (const [name, count] of findPlaceholders(template)) {
    if (count !== 1) {
      throw new JudgeInputError(`template placeholder {${name}} occurs ${count} times; each must occur exactly once`, {
        item: name,
      });
    }
    if (name !== 'instruction' && name !== 'output_1' && name !== 'output_2') {
      throw new JudgeInputError(
        `template placeholder {${name}} is not one of {instruction}, {output_1}, {output_2}`,
        { item: name },
      );
    }
    names.push(name);
  }
  return names;
}

/**
 * Fills a judge template like `make_prompts`: placeholders in order of first appearance, each replacing the first
 * occurrence of `{name}` in the current string with the value's string form.
 *
 * @example
 * fillTemplate('{instruction} / {output_1} / {output_2}', { instruction: 'say {output_1}', output_1: 'a', output_2: 'b' });
 * // 'say a / {output_1} / b'
 */
export function fillTemplate(template: string, values: JudgeTemplateValues): string {
  let prompt = template;
  for (const name of assertValidTemplate(template)) prompt = replaceFirst(prompt, `{${name}}`, pythonStr(values[name]));
  return prompt;
}

/** `_string_to_dict`: `" name=x k=v"` → `{ name: 'x', k: 'v' }`; a piece without `=` is an error, as in Python. */
function roleParameters(text: string, row: number | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const piece of text.split(' ')) {
    if (piece.length === 0) continue;
    const kv = splitOnce(piece, '=');
    if (kv.length === 1) {
      throw new JudgeInputError(`system role parameter "${piece}" has no "="`, { item: 'role', row });
    }
    if (kv[0] === 'content' || kv[0] === 'role') {
      throw new JudgeInputError(`system role parameter "${kv[0]}" clashes with a message field`, { item: 'role', row });
    }
    out[kv[0]] = kv[1];
  }
  return out;
}

/** Options of {@link promptToChatMessages}. */
export interface ChatConversionOptions {
  /** Row position for error messages. */
  row?: number;
}

/**
 * Converts a ChatML text prompt into chat messages like `prompt_to_chatml`: strip; require the `<|im_start|>` prefix
 * and `<|im_end|>` suffix; split on `<|im_start|>`; role = text before the first newline (stripped); content = the
 * rest up to the first `<|im_end|>` (stripped). Throws `JudgeInputError` where the official function raises.
 */
export function promptToChatMessages(prompt: string, { row }: ChatConversionOptions = {}): ChatMessage[] {
  const text = pythonStrip(prompt);
  if (!text.startsWith(CHATML_START) || !text.endsWith(CHATML_END)) {
    throw new JudgeInputError(`prompt must start with ${CHATML_START} and end with ${CHATML_END}`, { item: 'prompt', row });
  }
  const messages: ChatMessage[] = [];
  for (const piece of text.split(CHATML_START).slice(1)) {
    const lines = splitOnce(piece, '\n');
    if (lines.length === 1) {
      throw new JudgeInputError(`a ${CHATML_START} block has no newline after its role`, { item: 'prompt', row });
    }
    let role = pythonStrip(lines[0]);
    const content = pythonStrip(splitOnce(lines[1], CHATML_END)[0]);
    let extra: Record<string, string> = {};
    if (role.startsWith('system') && role !== 'system') {
      extra = roleParameters(role.slice('system'.length), row);
      role = 'system';
    }
    messages.push({ content, role, ...extra });
  }
  return messages;
}

/** Fills the template and converts it to chat messages: the request body's `messages`. */
export function buildJudgeMessages(
  template: string,
  values: JudgeTemplateValues,
  options: ChatConversionOptions = {},
): ChatMessage[] {
  return promptToChatMessages(fillTemplate(template, values), options);
}
