/**
 * The public benchmark assets the pipeline downloads at run time (never committed to this project), pinned to
 * the alpaca_eval commit the spec describes. `sha256: null` means the source publishes no fixed hash that we
 * know of: the hash is recorded at first download and checked on every later use of the cached copy.
 */
export const ALPACA_EVAL_COMMIT = 'cd543a149df89434d8a54582c0151c0b945c3d20';
const GITHUB_RAW = `https://raw.githubusercontent.com/tatsu-lab/alpaca_eval/${ALPACA_EVAL_COMMIT}`;
const HF_DATASET = 'https://huggingface.co/datasets/tatsu-lab/alpaca_eval/resolve/main';

export type AssetName = 'eval-set' | 'judge-template' | 'leaderboard' | 'gamed' | 'instruction-difficulty' | 'gpt5-nano-leaderboard';

/**
 * The alpaca_eval commit that added the `weighted_alpaca_eval_gpt5_nano` judge and its leaderboard (after
 * `ALPACA_EVAL_COMMIT`): the only public leaderboard of a judge other than the official one, the panel of the shipped
 * gpt-5-nano calibration.
 */
export const ALPACA_EVAL_GPT5_NANO_COMMIT = 'b275a975ed4e7df4049cd609860dc0e6b9673624';

export interface AssetSpec {
  name: AssetName;
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
  'gpt5-nano-leaderboard': {
    name: 'gpt5-nano-leaderboard',
    fileName: 'weighted_alpaca_eval_gpt5_nano_leaderboard.csv',
    url: `https://raw.githubusercontent.com/tatsu-lab/alpaca_eval/${ALPACA_EVAL_GPT5_NANO_COMMIT}/src/alpaca_eval/leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt5_nano_leaderboard.csv`,
    // a file of a fixed commit, but its hash could not be read from the source here: recorded at first download
    sha256: null,
    flag: '--judge-leaderboard',
    envVar: 'AEP_GPT5_NANO_LEADERBOARD',
    description: 'the AlpacaEval 2.0 leaderboard judged by gpt-5-nano (weighted_alpaca_eval_gpt5_nano), the panel of its calibration',
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
};
