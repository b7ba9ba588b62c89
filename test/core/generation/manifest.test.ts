import { describe, expect, it } from 'vitest';
import { usedPromptMode } from '../../../lambdas/core/generation/manifest.ts';

describe('manifest', () => {
  it('names the single prompt mode of the rows, or mixed', () => {
    expect(usedPromptMode({})).toBeNull();
    expect(usedPromptMode({ chat: 3, 'llama3-fallback': 0 })).toBe('chat');
    expect(usedPromptMode({ chat: 3, 'llama3-fallback': 1 })).toBe('mixed');
  });
});
