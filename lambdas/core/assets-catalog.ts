/**
 * The public benchmark assets the pipeline downloads at run time (never committed to this project), pinned to
 * the alpaca_eval commit the spec describes. `sha256: null` means the source publishes no fixed hash that we
 * know of: the hash is recorded at first download and checked on every later use of the cached copy.
 */
export const ALPACA_EVAL_COMMIT = 'cd543a149df89434d8a54582c0151c0b945c3d20';
const GITHUB_RAW = `https://raw.githubusercontent.com/tatsu-lab/alpaca_eval/${ALPACA_EVAL_COMMIT}`;
/** The alpaca_eval commit that publishes the gpt-5-nano leaderboard (newer than ALPACA_EVAL_COMMIT). */
export const GPT5_NANO_BOARD_COMMIT = 'b275a975ed4e7df4049cd609860dc0e6b9673624';
const HF_DATASET = 'https://huggingface.co/datasets/tatsu-lab/alpaca_eval/resolve/main';

export type AssetName = 'eval-set' | 'judge-template' | 'leaderboard' | 'gamed' | 'instruction-difficulty' | 'gpt5-nano-leaderboard';
/** A calibration panel model's public files (outputs, official annotations): named per model. */
export type PanelAssetName = `panel-outputs:${string}` | `panel-annotations:${string}`;

export interface AssetSpec {
  name: AssetName | PanelAssetName;
  fileName: string;
  url: string;
  sha256: string | null;
  /** The CLI flag that supplies a local copy (or another URL). */
  flag: string;
  /** The environment variable that does the same (the flag wins). */
  envVar: string;
  description: string;
}

export const ASSETS: Readonly<Record<AssetName, AssetSpec>> = {
  'eval-set': {
    name: 'eval-set',
    fileName: 'gpt4_1106_preview.model_outputs.json',
    url: `${GITHUB_RAW}/results/gpt4_1106_preview/model_outputs.json`,
    sha256: '83db546b872ddebee8965fd05fa48461ee3c32bc695c62fb57f2d214ff741ec4',
    flag: '--eval-set',
    envVar: 'AEP_EVAL_SET',
    description: 'the 805 AlpacaEval instructions with the GPT-4 Turbo reference outputs',
  },
  'judge-template': {
    name: 'judge-template',
    fileName: 'alpaca_eval_clf.txt',
    url: `${GITHUB_RAW}/src/alpaca_eval/evaluators_configs/alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt`,
    sha256: '784227e6dc2832fc08c43d2c8ea3a308e7523780187a1aaad2f85e30bac85f62',
    flag: '--judge-template',
    envVar: 'AEP_JUDGE_TEMPLATE',
    description: 'the weighted_alpaca_eval_gpt4_turbo judge prompt template',
  },
  leaderboard: {
    name: 'leaderboard',
    fileName: 'weighted_alpaca_eval_gpt4_turbo_leaderboard.csv',
    url: `${GITHUB_RAW}/src/alpaca_eval/leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv`,
    sha256: 'fe32bf85c2f7429038faa4c9a884d1d131726454ff84a4b810a91c1c7a2aa0e9',
    flag: '--leaderboard',
    envVar: 'AEP_LEADERBOARD',
    description: 'the official AlpacaEval 2.0 leaderboard',
  },
  gamed: {
    name: 'gamed',
    fileName: 'df_gamed.csv',
    url: `${HF_DATASET}/df_gamed.csv`,
    sha256: null,
    flag: '--gamed',
    envVar: 'AEP_GAMED',
    description: 'the gamed-baseline annotations and instruction difficulties of the LC GLM',
  },
  'instruction-difficulty': {
    name: 'instruction-difficulty',
    fileName: 'instruction_difficulty.csv',
    url: `${HF_DATASET}/instruction_difficulty.csv`,
    sha256: null,
    flag: '--instruction-difficulty',
    envVar: 'AEP_INSTRUCTION_DIFFICULTY',
    description: 'the per-instruction difficulty of the LC GLM',
  },
  'gpt5-nano-leaderboard': {
    name: 'gpt5-nano-leaderboard',
    fileName: 'weighted_alpaca_eval_gpt5_nano_leaderboard.csv',
    url: `https://raw.githubusercontent.com/tatsu-lab/alpaca_eval/${GPT5_NANO_BOARD_COMMIT}/src/alpaca_eval/leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt5_nano_leaderboard.csv`,
    sha256: 'bcbc88868a5d586572207d3ff38f4fda4fe0e869f3a35bd5daa5ec4746a7843d',
    flag: '--nano-leaderboard',
    envVar: 'AEP_GPT5_NANO_LEADERBOARD',
    description: 'the public AlpacaEval 2.0 leaderboard judged by gpt-5-nano (the shipped calibration of the gpt5_nano judge)',
  },
};


/**
 * The default calibration panel: models of the official board whose outputs and official per-row annotations are
 * public at ALPACA_EVAL_COMMIT, LC 5–52 with several small ones. SHA-256 of the files at that commit where known
 * (null: recorded at first download and checked on every later use).
 */
export const DEFAULT_PANEL: Readonly<Record<string, { outputs: string | null; annotations: string | null }>> = {
  'gemma-2b-it': { outputs: 'b4d9a45a796683072af3d050182a0a0b7507006d41d148db49ac245839775d0d', annotations: 'd1237f2a044874650a93edb41ebab5983019e988fc0ba229051bc390b598a604' },
  'alpaca-7b': { outputs: '21048628f20187affc7d9c9e756d9618e08c4991fc8a48184612eb484565c5db', annotations: '41047c654c6c5ddc0290fb207367e3f458d22692045eb41927eb64103a2cb764' },
  'vicuna-7b': { outputs: 'c7cf62e384503eb314f537768b7b816340728b77585cabccee343d634003259a', annotations: '86387fd674fc860d352750ff022c4d3b12daaf2fc51f0c70e62da81205f0a4f4' },
  'Qwen-14B-Chat': { outputs: '60e371b4eaa76d52c3def1ff58f16b09f74d2c0345c3980ec743aaa956c565d3', annotations: '94623679606fce2f829c542484a7a21cea2eece358a76f814e5838160eddf056' },
  'gpt-3.5-turbo-1106': { outputs: 'e26f2baf2735972c75fa2f540b3685911c616e6d4646219c728e326a49b1c33e', annotations: '4558bed562144780dfcdd5ff55cafc17d76eea62eca143cfcc7ac5f3c154de10' },
  'FuseChat-Llama-3.2-1B-Instruct': { outputs: '94de1cd88af0250a1adead73fd9f6b3d9f08be78adc447bf35f938c9c618db49', annotations: '40023f8b82d9f0bb30fb937c3dd01d99333e813f964d9d8a64d23d0eeceb6c5f' },
  'claude-2.1': { outputs: '75c39fa8e8b38380b7850b422e0f36c5cba3bc5bd8c496a7833cba6f2d72c332', annotations: '8dfc94501f8b783d96facd9158e0333dc83c30112c5c1927838fdcc2ee00d213' },
  'Meta-Llama-3-70B-Instruct': { outputs: 'd88208d379e6ece0cfa923be521b068a557f7bd84fdc5568d6151918d6004d45', annotations: null },
  gpt4: { outputs: '9c5149c146fadc99285f23abbaec2a62ba94ffa35c1dddacb70686571d9d780e', annotations: null },
  'claude-3-5-sonnet-20240620': { outputs: '64129d31619cddb5e2f6d2a4d64c7e4e567875dbb3a960c4bf6162485572f0a0', annotations: null },
};

/** The asset spec of a panel model's model_outputs.json or official annotations.json at ALPACA_EVAL_COMMIT. */
export function panelAssetSpec(model: string, kind: 'outputs' | 'annotations'): AssetSpec {
  if (!/^[A-Za-z0-9._-]+$/.test(model)) throw new Error(`panel model name ${JSON.stringify(model)} is not a results/ folder name`);
  const path = kind === 'outputs' ? 'model_outputs.json' : 'weighted_alpaca_eval_gpt4_turbo/annotations.json';
  return {
    name: `panel-${kind}:${model}`,
    fileName: `${model}.${kind === 'outputs' ? 'model_outputs' : 'annotations'}.json`,
    url: `${GITHUB_RAW}/results/${model}/${path}`,
    sha256: DEFAULT_PANEL[model]?.[kind] ?? null,
    flag: '--panel-dir',
    envVar: 'AEP_PANEL_DIR',
    description: `${kind === 'outputs' ? 'the model outputs' : 'the official annotations'} of panel model ${model}`,
  };
}
