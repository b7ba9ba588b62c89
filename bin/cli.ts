/**
 * The `aep` command line. Each command lives in bin/commands/<name>.ts and only parses options, wires adapters
 * and calls a service; failures end with a one-line reason on stderr and a non-zero exit code.
 */
import { Command } from 'commander';
import { aggregateCommand } from './commands/aggregate.ts';
import { fetchCommand, startCommand, statusCommand } from './commands/cloud.ts';
import { estimateCommand } from './commands/estimate.ts';
import { exportCommand } from './commands/export.ts';
import { generateCommand } from './commands/generate.ts';
import { judgeCommand } from './commands/judge.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { version } from './commands/common.ts';

const program = new Command('aep')
  .description('AlpacaEval 2.0 for fine-tuned checkpoints: generate, judge, aggregate — locally or on AWS.')
  .version(version())
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(runCommand())
  .addCommand(generateCommand())
  .addCommand(judgeCommand())
  .addCommand(estimateCommand())
  .addCommand(aggregateCommand())
  .addCommand(startCommand())
  .addCommand(statusCommand())
  .addCommand(fetchCommand())
  .addCommand(reportCommand())
  .addCommand(exportCommand());

await program.parseAsync(process.argv);
