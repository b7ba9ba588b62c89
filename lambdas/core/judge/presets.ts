/**
 * Judge presets as data (spec §3.1), and the resolution of `--judge PRESET` / `--judge-model NAME`.
 *
 * Every preset uses the same template (`alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt`), request parameters and
 * logprob parser as the official `weighted_alpaca_eval_*` configs; only the model differs. Only
 * `weighted_alpaca_eval_gpt4_turbo` (gpt-4-1106-preview) produced the public AlpacaEval 2.0 leaderboard, so only its
 * numbers are comparable to it.
 */
import { UsageError } from '../errors.ts';

/** Chat-completion parameters sent with every judge request (`completions_kwargs` of the official configs). */
export interface JudgeRequestParameters {
  max_tokens: number;
  temperature: number;
  top_p: number;
  logprobs: boolean;
  top_logprobs: number;
}

/** USD per 1M tokens. */
export interface TokenPrices {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** A judge configuration: model, request, parser and prices. */
export interface JudgePreset {
  /** The `--judge` name. */
  name: string;
  /** The official `evaluators_configs/<name>` this preset mirrors, or null for a custom model. */
  officialConfig: string | null;
  model: string;
  request: Readonly<JudgeRequestParameters>;
  parser: Readonly<{ numeratorToken: string; denominatorTokens: readonly string[] }>;
  /** Prices in USD per 1M tokens, or null when unknown (custom models). */
  prices: { realTime: TokenPrices; batch: TokenPrices } | null;
  /** True only for the judge of the public AlpacaEval 2.0 leaderboard. */
  comparableToLeaderboard: boolean;
}

const REQUEST: Readonly<JudgeRequestParameters> = Object.freeze({
  max_tokens: 1, temperature: 1, top_p: 1, logprobs: true, top_logprobs: 5,
});
const PARSER = Object.freeze({ numeratorToken: 'm', denominatorTokens: Object.freeze(['m', 'M']) });

/** Real-time list prices; the Batch API costs half of them. */
function prices(inputPerMillion: number, outputPerMillion: number): JudgePreset['prices'] {
  return {
    realTime: { inputPerMillion, outputPerMillion },
    batch: { inputPerMillion: inputPerMillion / 2, outputPerMillion: outputPerMillion / 2 },
  };
}

type PresetFields = Pick<JudgePreset, 'name' | 'officialConfig' | 'model' | 'prices'> & {
  comparableToLeaderboard?: boolean;
};

function preset({ comparableToLeaderboard = false, ...fields }: PresetFields): JudgePreset {
  return Object.freeze({ ...fields, request: REQUEST, parser: PARSER, comparableToLeaderboard });
}

/** The default judge: the one behind the public AlpacaEval 2.0 leaderboard. */
export const DEFAULT_JUDGE_PRESET = 'weighted_alpaca_eval_gpt4_turbo';

// Prices: OpenAI public list prices in USD per 1M tokens as known when this was written (gpt-4-1106-preview and
// gpt-4-turbo $10/$30, gpt-4.1 $2/$8, gpt-4o-mini $0.15/$0.60); list prices change, update them here.
export const JUDGE_PRESETS: Readonly<Record<string, JudgePreset>> = Object.freeze({
  weighted_alpaca_eval_gpt4_turbo: preset({
    name: DEFAULT_JUDGE_PRESET, officialConfig: 'weighted_alpaca_eval_gpt4_turbo', model: 'gpt-4-1106-preview',
    prices: prices(10, 30), comparableToLeaderboard: true,
  }),
  gpt4_turbo_new: preset({
    name: 'gpt4_turbo_new', officialConfig: 'weighted_alpaca_eval_gpt4_turbo_new', model: 'gpt-4-turbo',
    prices: prices(10, 30),
  }),
  'gpt4.1': preset({
    name: 'gpt4.1', officialConfig: 'weighted_alpaca_eval_gpt4.1', model: 'gpt-4.1-2025-04-14', prices: prices(2, 8),
  }),
  // the official config pins the dated snapshot gpt-4o-mini-2024-07-18
  'gpt-4o-mini': preset({
    name: 'gpt-4o-mini', officialConfig: 'weighted_alpaca_eval_gpt-4o-mini-2024-07-18', model: 'gpt-4o-mini-2024-07-18',
    prices: prices(0.15, 0.6),
  }),
});

/**
 * Whether the official decoder talks to this model through the chat API (`decoders/openai.py::_requires_chatml`):
 * not an "instruct" model, not a non-turbo "gpt-3" model, not a "text-" model.
 */
export function requiresChatml(model: string): boolean {
  return !(model.includes('instruct') || (model.includes('gpt-3') && !model.includes('turbo')) || model.startsWith('text-'));
}

/** Looks a preset up by its `--judge` name or by its official config name. */
export function findJudgePreset(name: string): JudgePreset | undefined {
  return Object.values(JUDGE_PRESETS).find((p) => p.name === name || p.officialConfig === name);
}

/** The CLI choice of judge: at most one of the two. */
export interface JudgeChoice {
  /** `--judge PRESET` */
  judge?: string;
  /** `--judge-model NAME` */
  judgeModel?: string;
}

/**
 * Resolves `--judge` / `--judge-model` to a judge configuration. Neither → the default preset. A model name that is a
 * preset's model → that preset; any other chat model → a custom configuration with the same request and parser,
 * unknown prices and `comparableToLeaderboard: false`. Throws `UsageError` for an unknown preset, both options
 * disagreeing, an empty model name or a model the chat API does not serve.
 */
export function resolveJudge({ judge, judgeModel }: JudgeChoice = {}): JudgePreset {
  const byName = judge === undefined ? undefined : findJudgePreset(judge);
  if (judge !== undefined && !byName) {
    throw new UsageError(`unknown judge preset "${judge}"; known presets: ${Object.keys(JUDGE_PRESETS).join(', ')}`);
  }
  if (judgeModel === undefined) return byName ?? JUDGE_PRESETS[DEFAULT_JUDGE_PRESET]!;
  const model = judgeModel.trim();
  if (model.length === 0) throw new UsageError('--judge-model must name a model');
  if (byName) {
    if (byName.model !== model) {
      throw new UsageError(`--judge ${byName.name} uses model ${byName.model}, which contradicts --judge-model ${model}`);
    }
    return byName;
  }
  const byModel = Object.values(JUDGE_PRESETS).find((p) => p.model === model);
  if (byModel) return byModel;
  if (!requiresChatml(model)) {
    throw new UsageError(`judge model ${model} is not a chat model; only chat-completion judges are supported`);
  }
  return preset({ name: `custom:${model}`, officialConfig: null, model, prices: null });
}
