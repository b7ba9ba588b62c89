import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lambdas/core/errors.ts';
import { RunConfigSchema } from '../../../lambdas/core/run/run-config.ts';
import { judgeModeOf } from '../../../lambdas/services/workflow/prepare-run.ts';

const config = (judge: Record<string, unknown>) => RunConfigSchema.parse({ model: 'org/m', judge });

describe('judgeModeOf', () => {
  it('sends an open-weights judge without an endpoint to the GPU job where the workflow has one, anything else as configured', () => {
    expect(judgeModeOf(config({ preset: 'vllm_llama3_8b' }), true)).toBe('engine');
    // aep run --judge-engine vllm: no GPU job, the chunks call the local engine
    expect(judgeModeOf(config({ preset: 'vllm_llama3_8b' }), false)).toBe('realtime');
    // a server of the user's own
    expect(judgeModeOf(config({ preset: 'vllm_llama3_8b', baseUrl: 'http://judge:8000/v1' }), true)).toBe('realtime');
    expect(judgeModeOf(config({}), true)).toBe('realtime');
    expect(judgeModeOf(config({ mode: 'batch-api' }), true)).toBe('batch-api');
  });

  it('refuses the OpenAI Batch API for an open-weights judge on the GPU job', () => {
    expect(() => judgeModeOf(config({ preset: 'vllm_llama3_8b', mode: 'batch-api' }), true))
      .toThrow(new UsageError('judge vllm_llama3_8b runs on our own GPUs, not on the OpenAI Batch API: set judge.mode to realtime'));
  });
});
