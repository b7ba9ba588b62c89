/**
 * The `aep` subcommands: name, one-line summary and how to load the command. `aep --help` lists the summaries
 * without importing any command; `aep X …` imports only X's module. A test checks each summary equals the loaded
 * command's description.
 */
import type { Command } from 'commander';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: 'run the whole evaluation locally (the stack\'s state machine on this machine): generate, judge, aggregate, report', load: async () => (await import('./run.ts')).runCommand() },
  { name: 'generate', summary: 'generate the model outputs of the AlpacaEval eval set (DIR/model_outputs.json) with an OpenAI-compatible engine', load: async () => (await import('./generate.ts')).generateCommand() },
  { name: 'judge', summary: 'judge model outputs against the reference with the AlpacaEval 2.0 judge; writes DIR/annotations.json', load: async () => (await import('./judge.ts')).judgeCommand() },
  { name: 'estimate', summary: 'count the prompt tokens and dollars of a judge run before it starts (real-time and Batch API; GPU-minutes for an open-weights judge)', load: async () => (await import('./estimate.ts')).estimateCommand() },
  { name: 'aggregate', summary: 'compute the AlpacaEval 2.0 metrics (win rate, LC win rate) of an annotations.json and insert the model into the leaderboard', load: async () => (await import('./aggregate.ts')).aggregateCommand() },
  { name: 'compare', summary: 'is checkpoint B better than A? ΔLC with its 95% bootstrap interval and p-value, paired tests, a verdict and what changed', load: async () => (await import('./compare.ts')).compareCommand() },
  { name: 'calibrate', summary: 'build a bridge from a judge\'s scale to the official AlpacaEval 2.0 scale (writes DIR/calibration.json)', load: async () => (await import('./calibrate.ts')).calibrateCommand() },
  { name: 'start', summary: 'start a run on the deployed stack (Step Functions), with the same options as aep run', load: async () => (await import('./cloud.ts')).startCommand() },
  { name: 'status', summary: 'show the status, stage timings, failure and results of a run (from its manifest)', load: async () => (await import('./cloud.ts')).statusCommand() },
  { name: 'fetch', summary: 'download a run folder (report, metrics, annotations, …) to a directory', load: async () => (await import('./cloud.ts')).fetchCommand() },
  { name: 'report', summary: 'render (or re-render) a run\'s report and its model\'s checkpoint history from the run folder', load: async () => (await import('./report.ts')).reportCommand() },
  { name: 'export', summary: 'print a run\'s AlpacaEval 2.0 results as a model-card model-index block or a flat JSON record for experiment trackers', load: async () => (await import('./export.ts')).exportCommand() },
];
