import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unswitchPreference } from '../../../lambdas/core/judge/order-randomisation.ts';
import { JUDGE_PRESETS, resolveJudge } from '../../../lambdas/core/judge/presets.ts';
import { parseVerdictPreference, regexMatches } from '../../../lambdas/core/judge/verdict-parser.ts';
import { JudgeAuthError, JudgePreflightError } from '../../../lambdas/services/judge/errors.ts';
import { shutdownNotice } from '../../../lambdas/services/judge/preflight.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai.ts';
import { needFixtures } from '../../support/fixtures.ts';
import { ALPACA_7B_OUTPUTS, REFERENCE, TEMPLATE, runJudge, workspace, type Workspace } from './judge-harness.ts';

const FIXTURES = [REFERENCE, TEMPLATE, ALPACA_7B_OUTPUTS];
const TODAY = new Date('2026-12-04T12:00:00Z');
const ROWS = Array.from({ length: 40 }, (_, i) => 100 + i);

let fake: FakeOpenAI;
let ws: Workspace;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  ws = await workspace();
});
afterEach(async () => {
  await fake.close();
  await ws.cleanup();
});

describe('preflight', () => {
  describe('verdict parser (official regex_parser, batch size 1)', () => {
    it.for([
      ['m', ['1']], ['M', ['2']], ['Model', ['2']], ['I pick: M', ['2']], ['', []], ['mM', ['1', '2']], ['mm', ['1', '1']],
      ['The answer is m', ['1']], ['Mm', ['2', '1']],
    ] as const)('finds the matches of %j in order', ([text, keys]) => {
      expect(regexMatches(text, { 1: 'm', 2: 'M' })).toEqual(keys);
    });

    it('gives 1 or 2 for exactly one verdict and NaN (a reason) for none or several', () => {
      const choice = (content: string) => ({ message: { role: 'assistant', content }, logprobs: null });
      expect(parseVerdictPreference(choice('m'), { 1: 'm', 2: 'M' })).toEqual({ ok: true, preference: 1 });
      expect(parseVerdictPreference(choice('M'), { 1: 'm', 2: 'M' })).toEqual({ ok: true, preference: 2 });
      expect(parseVerdictPreference(choice('mM'), { 1: 'm', 2: 'M' })).toMatchObject({ ok: false, reason: /found 2 verdicts/ });
      expect(parseVerdictPreference(choice('no'), { 1: 'm', 2: 'M' })).toMatchObject({ ok: false, reason: /found 0 verdicts/ });
      expect(parseVerdictPreference({}, { 1: 'm', 2: 'M' })).toMatchObject({ ok: false, reason: /no text/ });
    });
  });

  describe('shutdownNotice', () => {
    it('warns within 60 days of a known shutdown, says past after it, and is silent before', () => {
      const gpt41 = JUDGE_PRESETS['gpt4.1']!;
      expect(shutdownNotice(gpt41, new Date('2026-10-01T00:00:00Z'))).toBeUndefined();
      expect(shutdownNotice(gpt41, TODAY)).toMatchObject({ past: false, message: /2027-01-14, in 41 day\(s\)/ });
      expect(shutdownNotice(JUDGE_PRESETS.weighted_alpaca_eval_gpt4_turbo!, TODAY)).toMatchObject({ past: true, message: /2026-03-26/ });
      expect(shutdownNotice(JUDGE_PRESETS.gpt5_nano!, TODAY)).toBeUndefined();
    });
  });

  describe('judgeRun preflight against a fake endpoint', () => {
    it('stops a retired model with its shutdown date and the presets the key can use, before any request', async (ctx) => {
      needFixtures(ctx, ...FIXTURES);
      fake.options.models = ['gpt-4.1-2025-04-14', 'gpt-5-nano'];
      const err = await runJudge({ fake, ws, rowIndices: ROWS, now: TODAY }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JudgePreflightError);
      expect((err as Error).message).toMatch(/"gpt-4-1106-preview" .* does not serve this model .*scheduled for shutdown on 2026-03-26 .*no longer serves it; presets this key can use at .*: gpt4\.1 \(gpt-4\.1-2025-04-14\), gpt5_nano \(gpt-5-nano\)/);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('stops an unknown model without a known shutdown, naming what failed', async (ctx) => {
      needFixtures(ctx, ...FIXTURES);
      fake.options.models = ['gpt-5-nano'];
      const err = await runJudge({ fake, ws, rowIndices: ROWS, now: TODAY, preset: resolveJudge({ judgeModel: 'my-judge' }) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JudgePreflightError);
      expect((err as Error).message).toMatch(/"my-judge" .*does not serve this model/);
      expect((err as Error).message).not.toMatch(/shutdown/);
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('stops on a rejected key before any chat request', async (ctx) => {
      needFixtures(ctx, ...FIXTURES);
      fake.options.models = ['gpt-4-1106-preview'];
      fake.options.apiKey = 'sk-right';
      const err = await runJudge({ fake, ws, rowIndices: ROWS, now: TODAY, apiKey: 'sk-wrong-key' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JudgeAuthError);
      expect((err as Error).message).not.toContain('sk-wrong-key');
      expect(fake.chatRequests).toHaveLength(0);
    });

    it('stops after the first paid row when its answer has no logprobs for a logprob preset', async (ctx) => {
      needFixtures(ctx, ...FIXTURES);
      fake.options.fault = () => ({ type: 'no-logprobs' });
      const err = await runJudge({ fake, ws, rowIndices: ROWS, now: TODAY }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JudgePreflightError);
      expect((err as Error).message).toMatch(/no top logprobs.*verdict preset such as gpt5_nano/);
      expect(fake.chatRequests).toHaveLength(1);
    });

    it('runs on an endpoint that still serves a model past its shutdown date, with a warning and the snapshot named', async (ctx) => {
      needFixtures(ctx, ...FIXTURES);
      fake.options.models = ['gpt-4-1106-preview'];
      fake.options.snapshot = () => 'gpt-4-1106-preview-azure';
      const { summary, rows } = await runJudge({ fake, ws, rowIndices: ROWS, now: TODAY });
      expect(summary.failed).toBe(0);
      expect(summary.warnings).toEqual([expect.stringMatching(/2026-03-26.* still serves it: the run goes on/)]);
      expect(rows.every((r) => r.judge_source === 'identical' || r.judge_model_snapshot === 'gpt-4-1106-preview-azure')).toBe(true);
      expect(summary.snapshots).toEqual({ 'gpt-4-1106-preview-azure': rows.filter((r) => r.judge_source !== 'identical').length });
    });

    it('judges with the gpt5_nano verdict preset: its request, the text verdict un-switched, rows flagged', async (ctx) => {
      needFixtures(ctx, ...FIXTURES);
      fake.options.models = ['gpt-5-nano'];
      fake.options.snapshot = () => 'gpt-5-nano-2025-08-07';
      const verdict = (key: string) => (key.length % 2 === 0 ? 'm' : 'M');
      fake.options.answer = (req) => ({ index: 0, message: { role: 'assistant', content: verdict(req.promptKey) }, logprobs: null, finish_reason: 'stop' });
      const { rows, summary, prepared } = await runJudge({ fake, ws, rowIndices: ROWS, now: TODAY, preset: JUDGE_PRESETS.gpt5_nano! });
      expect(summary).toMatchObject({ failed: 0, nan: 0 });
      const body = fake.chatRequests[0]!.body;
      expect(body).toMatchObject({ model: 'gpt-5-nano', max_completion_tokens: 1000, reasoning_effort: 'low' });
      expect(body).not.toHaveProperty('logprobs');
      expect(body).not.toHaveProperty('temperature');
      ROWS.forEach((index, i) => {
        const job = prepared.jobs[index]!;
        if (job.identical) return;
        const judgeOrder = verdict(JSON.stringify(job.messages)) === 'm' ? 1 : 2;
        expect(rows[i]).toMatchObject({
          preference: unswitchPreference(judgeOrder, job), judge_parser: 'verdict', judge_model_snapshot: 'gpt-5-nano-2025-08-07',
        });
      });
    });
  });
});
