/**
 * Entry point of the generator image (bundled to dist/entrypoint.mjs by build.ts). Configuration: see config.ts and
 * README.md. Exit code 0 on success, 1 on failure, 143 when stopped by SIGTERM (e.g. a spot interruption).
 */
import { runGenerator } from './run.ts';

process.exitCode = await runGenerator({
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
});
