import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambdas/core/errors.ts';
import {
  buildPromptInput, initialPromptMode, LLAMA3_FALLBACK_TEMPLATE, renderPrompt, templateOf, validatePromptTemplate,
} from '../../../lambdas/core/generation/prompt-mode.ts';

describe('prompt-mode', () => {
  describe('LLAMA3_FALLBACK_TEMPLATE', () => {
    it('is the Llama-3 single-turn format of the plan, assistant header left open', () => {
      expect(LLAMA3_FALLBACK_TEMPLATE).toBe('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{instruction}<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n');
      expect(() => validatePromptTemplate(LLAMA3_FALLBACK_TEMPLATE, 'fallback')).not.toThrow();
    });
  });

  describe('validatePromptTemplate', () => {
    it.each([
      ['Q: {question}\nA:', /must contain \{instruction\} exactly once, found 0/],
      ['{instruction} and again {instruction}', /found 2/],
      ['{instruction} vs {output}', /unsupported placeholder \{output\}; only \{instruction\} is filled/],
    ])('refuses %j', (template, message) => {
      expect(() => validatePromptTemplate(template, 't.txt')).toThrow(InputError);
      expect(() => validatePromptTemplate(template, 't.txt')).toThrow(message);
    });

    it('accepts braces that are not placeholders (whitespace inside)', () => {
      expect(() => validatePromptTemplate('{ "a": 1 } {instruction}', 't.txt')).not.toThrow();
    });
  });

  describe('renderPrompt', () => {
    it('inserts the instruction literally, once, without re-filling placeholders it contains', () => {
      expect(renderPrompt('H: {instruction}\nA:', 'say {instruction} $& $1')).toBe('H: say {instruction} $& $1\nA:');
    });
  });

  describe('initialPromptMode', () => {
    it('starts auto in chat unless resumed rows already used the fallback', () => {
      expect(initialPromptMode({ kind: 'auto' })).toBe('chat');
      expect(initialPromptMode({ kind: 'auto' }, ['chat', 'llama3-fallback'])).toBe('llama3-fallback');
      expect(initialPromptMode({ kind: 'template', template: '{instruction}', source: 'f' }, ['llama3-fallback'])).toBe('template');
      expect(initialPromptMode({ kind: 'chat' }, ['llama3-fallback'])).toBe('chat');
    });
  });

  describe('buildPromptInput', () => {
    it('sends one user message in chat mode and the filled template otherwise', () => {
      expect(buildPromptInput('chat', { kind: 'auto' }, ' hi ')).toEqual({ kind: 'chat', messages: [{ role: 'user', content: ' hi ' }] });
      expect(buildPromptInput('llama3-fallback', { kind: 'auto' }, 'hi')).toEqual({
        kind: 'completion', prompt: LLAMA3_FALLBACK_TEMPLATE.replace('{instruction}', 'hi'),
      });
      expect(buildPromptInput('template', { kind: 'template', template: 'Q:{instruction}', source: 'f' }, 'hi'))
        .toEqual({ kind: 'completion', prompt: 'Q:hi' });
      expect(templateOf('chat', { kind: 'auto' })).toBeNull();
    });
  });
});
