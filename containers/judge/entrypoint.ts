/**
 * Entry point of the judge job (bundled to dist/entrypoint.mjs by build.ts; runs in the generator's image, which has
 * vLLM and node). Configuration: see run.ts and README.md. Exit code 0 when every chunk is complete, 1 otherwise,
 * 143 when stopped by SIGTERM (e.g. a spot interruption; a rerun judges only rows not yet cached).
 */
import { runJudgeJob } from './run.ts';

process.exitCode = await runJudgeJob({
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
});
