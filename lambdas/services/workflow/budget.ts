/**
 * The judge-cost budget of a run, checked by "Prepare Run" before anything is paid for (GPU included): the cost of
 * judging every non-identical row at the preset's list price. With given outputs the count is exact; before
 * generation it is an upper bound: each model output is counted as `maxNewTokens` tokens (measured with the judge's
 * tokenizer, not the model's, so the bound is approximate) on top of the exact rest of the prompt.
 */
import { AepError } from '../../core/errors.ts';
import { prepareJudgeRun } from '../judge/prepare.ts';
import { createPromptTokenCounter } from '../judge/token-count.ts';
import { pricesFor } from '../judge/judgement.ts';
import type { RunConfig } from '../../core/run/run-config.ts';
import type { JudgePreset } from '../../core/judge/presets.ts';
import { parseModelOutputs } from '../../core/eval-set/schema.ts';

export class BudgetExceededError extends AepError {
  override readonly name: string = 'BudgetExceededError';
}

export interface CostBound {
  /** Dollars at list price (null when the judge's prices are unknown). */
  usd: number | null;
  promptTokens: number;
  rows: number;
  exact: boolean;
}

export async function judgeCostBound(o: { evalSetText: string; template: string; modelOutputsText?: string; config: RunConfig; preset: JudgePreset }): Promise<CostBound> {
  const exact = o.modelOutputsText !== undefined;
  // without outputs yet: the reference rows with an empty model output, plus maxNewTokens per row below
  const outputsText = o.modelOutputsText ?? JSON.stringify(parseModelOutputs(o.evalSetText, 'eval set').rows.map((r) => ({ instruction: r.instruction, output: '', generator: 'bound' })));
  const prepared = prepareJudgeRun({
    evalSet: { text: o.evalSetText, source: 'eval set' }, template: o.template, preset: o.preset,
    modelOutputs: { text: outputsText, fileName: 'model outputs' }, maxInstances: o.config.maxInstances,
  });
  const counter = await createPromptTokenCounter(o.preset.model);
  let promptTokens = 0;
  let rows = 0;
  for (const job of prepared.jobs) {
    if (exact && job.identical) continue;
    const messages = job.identical ? [] : job.messages;
    promptTokens += (messages.length ? counter.count(messages) : 0) + (exact ? 0 : o.config.generation.maxNewTokens);
    rows++;
  }
  const prices = pricesFor(o.preset, o.config.judge.mode === 'batch-api' ? 'batch' : 'api');
  const usd = prices ? (promptTokens * prices.inputPerMillion + rows * prices.outputPerMillion) / 1e6 : null;
  return { usd, promptTokens, rows, exact };
}
