/**
 * Judge presets as data (spec §3.1), and the resolution of `--judge PRESET` / `--judge-model NAME`.
 *
 * Every preset uses the same template (`alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt`), request parameters and
 * logprob parser as the official `weighted_alpaca_eval_*` configs; only the model differs. Only
 * `weighted_alpaca_eval_gpt4_turbo` (gpt-4-1106-preview) produced the public AlpacaEval 2.0 leaderboard, so only its
 * numbers are comparable to it.
 */
import { UsageError } from '../errors.ts';

/**
 * Chat-completion parameters sent with every judge request (`completions_kwargs` of the official configs), spread
 * into the request body after `model` and `messages` in this order. Logprob judges send one token with its top-5
 * logprobs; verdict judges (reasoning models, which refuse `temperature`, `top_p`, `max_tokens` and `logprobs`) send
 * a completion budget and a reasoning effort.
 */
export type JudgeRequestParameters =
  | { max_tokens: number; temperature: number; top_p: number; logprobs: true; top_logprobs: number }
  | { max_completion_tokens: number; reasoning_effort: 'minimal' | 'low' | 'medium' | 'high' };

/** The most completion tokens one judge request can bill (TPM accounting, estimates). */
export function maxCompletionTokens(request: Readonly<JudgeRequestParameters>): number {
  return 'max_tokens' in request ? request.max_tokens : request.max_completion_tokens;
}

/**
 * How a completion becomes a preference. `logprob`: the official `logprob_parser` (2 − P(numerator) over the top
 * logprobs of the first token). `verdict`: the official `regex_parser` over the completion text — every pattern is
 * searched, the earliest match counts and the search continues after it; exactly one match gives its key (1 = first
 * shown output, 2 = second), anything else is NaN, as alpaca_eval does when it finds a number of annotations other
 * than its batch size of 1.
 */
export type JudgeParser =
  | { kind: 'logprob'; numeratorToken: string; denominatorTokens: readonly string[] }
  | { kind: 'verdict'; outputsToMatch: Readonly<Record<'1' | '2', string>> };

/** A published end of service for a judge model, with where it was published. */
export interface JudgeShutdown {
  /** ISO date (UTC) after which the provider stops serving the model. */
  date: string;
  source: string;
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
  parser: Readonly<JudgeParser>;
  /** The provider's announced shutdown of `model`, when one is known (checked at run time, never trusted alone). */
  shutdown: JudgeShutdown | null;
  /** Prices in USD per 1M tokens, or null when unknown (custom models). */
  prices: { realTime: TokenPrices; batch: TokenPrices } | null;
  /** True only for the judge of the public AlpacaEval 2.0 leaderboard. */
  comparableToLeaderboard: boolean;
  /** For an open-weights judge served by vLLM on our own GPUs: weights, revision, engine settings, GPU needs. */
  selfHosted: SelfHostedJudge | null;
}

/**
 * An open-weights judge: what `vllm serve` needs to serve it exactly as pinned, and the GPUs it needs. The requests
 * are the chat API's (vLLM applies the model's own chat template from the pinned revision's tokenizer_config.json),
 * as the official `weighted_alpaca_eval_vllm_llama3_70b` does with `requires_chatml: true`.
 */
export interface SelfHostedJudge {
  /** Hugging Face repo id of the weights; also the name the server serves (`--served-model-name`), = `model`. */
  hfModel: string;
  /**
   * Hugging Face commit (40 hex) passed as `vllm serve --revision`, or null for unpinned (the Hub's `main` when the
   * engine starts: reproducible only as long as nobody pushes). Edit it here to pin another commit.
   */
  revision: string | null;
  /** Where the revision comes from, and how far it was checked. */
  revisionSource: string;
  /** `model`: the tokenizer's own chat template at the revision (vLLM's default on /v1/chat/completions). */
  chatTemplate: 'model';
  dtype: 'auto' | 'bfloat16' | 'float16';
  /** `--max-model-len`: the judge prompt (template + instruction + two outputs) must fit. */
  maxModelLen: number;
  /** Parameters of the weights, billions (the FLOP-based throughput model of the estimate). */
  paramsBillions: number;
  gpu: {
    /** Size of the weights in GPU memory, GB (params × bytes per parameter). */
    weightsGb: number;
    /** Least total GPU memory (all GPUs) to hold the weights plus a useful KV cache at `maxModelLen`, GB. */
    minTotalMemoryGb: number;
    /** GPUs per engine = `--tensor-parallel-size` (the instance's GPU count is used when it has more). */
    minGpus: number;
    /** Instance types (see `gpu-instances.ts`) this judge is planned for, smallest first. */
    instanceTypes: readonly string[];
  };
  /** Extra `vllm serve` arguments (`--enable-prefix-caching` is always added). */
  extraArgs: readonly string[];
}

const REQUEST: Readonly<JudgeRequestParameters> = Object.freeze({
  max_tokens: 1, temperature: 1, top_p: 1, logprobs: true as const, top_logprobs: 5,
});
const PARSER: Readonly<JudgeParser> = Object.freeze({ kind: 'logprob', numeratorToken: 'm', denominatorTokens: Object.freeze(['m', 'M']) });
/** `weighted_alpaca_eval_gpt5_nano`: `max_tokens: 1000`, `logprobs: false`, `reasoning_effort: low`, regex m → 1, M → 2. */
const VERDICT_REQUEST: Readonly<JudgeRequestParameters> = Object.freeze({ max_completion_tokens: 1000, reasoning_effort: 'low' as const });
const VERDICT_PARSER: Readonly<JudgeParser> = Object.freeze({ kind: 'verdict', outputsToMatch: Object.freeze({ 1: 'm', 2: 'M' }) });

/** OpenAI's public API. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** OpenAI's public deprecations page, where model shutdown dates are announced. */
export const OPENAI_DEPRECATIONS = 'https://platform.openai.com/docs/deprecations';

/** Real-time list prices; the Batch API costs half of them. */
function prices(inputPerMillion: number, outputPerMillion: number): JudgePreset['prices'] {
  return {
    realTime: { inputPerMillion, outputPerMillion },
    batch: { inputPerMillion: inputPerMillion / 2, outputPerMillion: outputPerMillion / 2 },
  };
}

type PresetFields = Pick<JudgePreset, 'name' | 'officialConfig' | 'model' | 'prices'> & {
  comparableToLeaderboard?: boolean;
  shutdown?: string;
  verdict?: boolean;
  selfHosted?: SelfHostedJudge;
};

function preset({ comparableToLeaderboard = false, shutdown, verdict = false, selfHosted, ...fields }: PresetFields): JudgePreset {
  return Object.freeze({
    ...fields,
    request: verdict ? VERDICT_REQUEST : REQUEST,
    parser: verdict ? VERDICT_PARSER : PARSER,
    shutdown: shutdown ? Object.freeze({ date: shutdown, source: OPENAI_DEPRECATIONS }) : null,
    comparableToLeaderboard,
    selfHosted: selfHosted ? deepFreeze(selfHosted) : null,
  });
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

/** The open-weights presets' names, for messages. */
export function selfHostedPresetNames(): string[] {
  return Object.values(JUDGE_PRESETS).filter((p) => p.selfHosted).map((p) => p.name);
}

/** The default judge: the one behind the public AlpacaEval 2.0 leaderboard. */
export const DEFAULT_JUDGE_PRESET = 'weighted_alpaca_eval_gpt4_turbo';

// Shutdown dates: OpenAI's deprecations page as read in 2026 (gpt-4-1106-preview 2026-03-26, gpt-4-turbo 2026-10-23,
// gpt-4o-mini-2024-07-18 and gpt-4.1-2025-04-14 2027-01-14). A date is a hint for messages and warnings: whether a
// model is served is asked of the endpoint at run time.
// Prices: OpenAI public list prices in USD per 1M tokens as known when this was written (gpt-4-1106-preview and
// gpt-4-turbo $10/$30, gpt-4.1 $2/$8, gpt-4o-mini $0.15/$0.60); list prices change, update them here.
export const JUDGE_PRESETS: Readonly<Record<string, JudgePreset>> = Object.freeze({
  weighted_alpaca_eval_gpt4_turbo: preset({
    name: DEFAULT_JUDGE_PRESET, officialConfig: 'weighted_alpaca_eval_gpt4_turbo', model: 'gpt-4-1106-preview',
    prices: prices(10, 30), comparableToLeaderboard: true, shutdown: '2026-03-26',
  }),
  gpt4_turbo_new: preset({
    name: 'gpt4_turbo_new', officialConfig: 'weighted_alpaca_eval_gpt4_turbo_new', model: 'gpt-4-turbo',
    prices: prices(10, 30), shutdown: '2026-10-23',
  }),
  'gpt4.1': preset({
    name: 'gpt4.1', officialConfig: 'weighted_alpaca_eval_gpt4.1', model: 'gpt-4.1-2025-04-14', prices: prices(2, 8),
    shutdown: '2027-01-14',
  }),
  // the official config pins the dated snapshot gpt-4o-mini-2024-07-18
  'gpt-4o-mini': preset({
    name: 'gpt-4o-mini', officialConfig: 'weighted_alpaca_eval_gpt-4o-mini-2024-07-18', model: 'gpt-4o-mini-2024-07-18',
    prices: prices(0.15, 0.6), shutdown: '2027-01-14',
  }),
  // a reasoning model without logprobs: the official config reads its verdict from the text (regex_parser)
  gpt5_nano: preset({
    name: 'gpt5_nano', officialConfig: 'weighted_alpaca_eval_gpt5_nano', model: 'gpt-5-nano', prices: prices(0.05, 0.4),
    verdict: true,
  }),
  // Open weights on our own GPUs: no shutdown, no per-token prices (the cost is GPU time: `aep estimate`).
  // `weighted_alpaca_eval_vllm_llama3_70b` (alpaca_eval, evaluators_configs/, added 2024-11-10 in commit 0b4af76):
  // the same template, `max_tokens: 1`, `temperature: 1`, `logprobs: true`, `top_logprobs: 5`, `requires_chatml: true`
  // and logprob_parser (m over m, M) as the GPT-4 Turbo judge; `top_p` is the decoder's default 1.0. Its
  // `model_name` is a local path to Meta-Llama-3-70B-Instruct with no revision. Human agreement: the evaluator
  // leaderboard has no row for this config; its 67.5 % / $0.41 per 1000 is `alpaca_eval_llama3_70b_fn` (same model,
  // a ranking prompt over Together's API), so the figure is indicative only — calibrate (aep calibrate) before use.
  weighted_alpaca_eval_vllm_llama3_70b: preset({
    name: 'weighted_alpaca_eval_vllm_llama3_70b', officialConfig: 'weighted_alpaca_eval_vllm_llama3_70b',
    model: 'meta-llama/Meta-Llama-3-70B-Instruct', prices: null,
    selfHosted: {
      hfModel: 'meta-llama/Meta-Llama-3-70B-Instruct',
      // No commit of this Hub repo could be verified offline when this was written: left unpinned rather than
      // invented. Pin it (a 40-hex commit from the repo's history) before comparing runs months apart.
      revision: null,
      revisionSource: 'unpinned: no commit verified offline (the official config serves a local copy without revision)',
      chatTemplate: 'model', dtype: 'bfloat16', maxModelLen: 8192, paramsBillions: 70.6,
      // bf16 weights 141 GB; the official fn config runs it with tensor_parallel_size 2 (2 × 80 GB)
      gpu: { weightsGb: 141, minTotalMemoryGb: 160, minGpus: 2, instanceTypes: ['g6e.12xlarge', 'g5.48xlarge'] },
      extraArgs: [],
    },
  }),
  // The same family at 8B: one 24 GB GPU (16 GB bf16 weights, the rest KV cache). Not an official config: same
  // template, request and parser as the 70B one. Its agreement with humans is unknown: calibrate it.
  vllm_llama3_8b: preset({
    name: 'vllm_llama3_8b', officialConfig: null, model: 'meta-llama/Meta-Llama-3-8B-Instruct', prices: null,
    selfHosted: {
      hfModel: 'meta-llama/Meta-Llama-3-8B-Instruct',
      // A commit of this Hub repo cited in public code (a tokenizer update, linked as
      // huggingface.co/meta-llama/Meta-Llama-3-8B-Instruct/commit/339ce92d…); not checked against the Hub from here.
      revision: '339ce92d052f002cdbac4a4bd551d1c61dd8345e',
      revisionSource: 'cited in public code as a commit of meta-llama/Meta-Llama-3-8B-Instruct; not verified against the Hub offline',
      chatTemplate: 'model', dtype: 'bfloat16', maxModelLen: 8192, paramsBillions: 8.03,
      gpu: { weightsGb: 16.1, minTotalMemoryGb: 24, minGpus: 1, instanceTypes: ['g6.xlarge', 'g5.xlarge', 'g6e.xlarge'] },
      extraArgs: [],
    },
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
