/**
 * The contract between the workflow and the generator container: the environment of the Batch job, built from the
 * run config by "Prepare Run" and passed as container overrides. Every key is always present; an empty value means
 * "not set" (the container ignores blank variables). The local runner hands the same environment to the same code.
 */
import { RUN_FILES } from './layout.ts';
import { displayName, type RunConfig } from './run-config.ts';

export const GENERATION_ENV_KEYS = [
  'RUN_URL', 'MODEL_SOURCE', 'MODEL_REVISION', 'GENERATOR_NAME', 'PROMPT_TEMPLATE', 'MAX_NEW_TOKENS', 'TEMPERATURE',
  'TOP_P', 'SEED', 'CONCURRENCY', 'MAX_INSTANCES', 'EVAL_SET',
] as const;

export type GenerationEnv = Record<(typeof GENERATION_ENV_KEYS)[number], string>;

const str = (v: string | number | undefined | null): string => (v === undefined || v === null ? '' : String(v));

/** Where the weights are: an `s3://` checkpoint prefix, or a Hugging Face id (`hf://repo` or the model name). */
export function modelSourceOf(config: RunConfig): { source: string; huggingFace: boolean } {
  const uri = config.modelUri;
  if (uri?.startsWith('hf://')) return { source: uri.slice('hf://'.length), huggingFace: true };
  if (uri) return { source: uri, huggingFace: false };
  return { source: config.model, huggingFace: true };
}

export function generationEnvironment(config: RunConfig, runUrl: string): GenerationEnv {
  const { source, huggingFace } = modelSourceOf(config);
  const g = config.generation;
  return {
    RUN_URL: runUrl,
    MODEL_SOURCE: source,
    // a revision is a Hugging Face commit only for Hugging Face sources (for S3 it names the checkpoint folder)
    MODEL_REVISION: huggingFace ? str(config.revision) : '',
    GENERATOR_NAME: config.name ?? displayName(config),
    PROMPT_TEMPLATE: str(g.promptTemplate),
    MAX_NEW_TOKENS: str(g.maxNewTokens),
    TEMPERATURE: str(g.temperature),
    TOP_P: str(g.topP),
    SEED: str(g.seed),
    CONCURRENCY: str(g.concurrency),
    MAX_INSTANCES: str(config.maxInstances),
    EVAL_SET: `${runUrl.replace(/\/?$/, '/')}${RUN_FILES.evalSet}`,
  };
}
