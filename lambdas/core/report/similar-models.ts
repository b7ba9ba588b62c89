/**
 * Leaderboard models of a size comparable to the checkpoints this pipeline is built for (≈ 1–3 B parameters),
 * highlighted in the report's leaderboard and scatter plot. Data, not logic: extend it as the board grows.
 */
export interface SimilarModel {
  /** Exactly as in the leaderboard CSV. */
  name: string;
  /** Parameter count as published by the model's authors. */
  params: string;
}

export const SIMILAR_SIZE_MODELS: readonly SimilarModel[] = [
  { name: 'FuseChat-Llama-3.2-1B-Instruct', params: '1.2B' },
  { name: 'Qwen1.5-1.8B-Chat', params: '1.8B' },
  { name: 'gemma-2b-it', params: '2.5B' },
  { name: 'phi-2', params: '2.7B' },
  { name: 'phi-2-sft', params: '2.7B' },
  { name: 'phi-2-dpo', params: '2.7B' },
  { name: 'minichat-3b', params: '3B' },
  { name: 'minichat-1.5-3b', params: '3B' },
  { name: 'FuseChat-Llama-3.2-3B-Instruct', params: '3.2B' },
];
