/**
 * The `aep` command line. Each command lives in bin/commands/<name>.ts and only parses options, wires adapters
 * and calls a service; failures end with a one-line reason on stderr and a non-zero exit code. Commands are
 * listed in bin/commands/registry.ts and imported only when they run (`aep --help` imports none).
 */
import { Command } from 'commander';
import { COMMANDS } from './commands/registry.ts';
import { version } from '../infra/package-version.ts';

const program = new Command('aep')
  .description('AlpacaEval 2.0 for fine-tuned checkpoints: generate, judge, aggregate — locally or on AWS.')
  .version(version())
  .showHelpAfterError('(run with --help for usage)');

const argv = process.argv.slice(2);
// `aep help X` is `aep X --help`
const helpFor = argv[0] === 'help' && argv.length > 1 ? argv[1] : undefined;
const entry = COMMANDS.find((c) => c.name === (helpFor ?? argv[0]));
if (entry) {
  program.addCommand(await entry.load());
  await program.parseAsync(helpFor ? [process.argv[0]!, process.argv[1]!, helpFor, '--help'] : process.argv);
} else {
  for (const c of COMMANDS) program.command(c.name).description(c.summary).allowUnknownOption().helpOption(false);
  await program.parseAsync(process.argv);
}
