/**
 * Bundles the judge job entry point into one ESM file: `npx tsx containers/judge/build.ts [outfile]` (default
 * containers/judge/dist/entrypoint.mjs). Everything, SDKs included, goes into the bundle: the image needs only `node`
 * (and `vllm`, which the generator image has).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, isMain } from '../bundle.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUTFILE = join(here, 'dist', 'entrypoint.mjs');

export function buildJudgeJob({ outfile = DEFAULT_OUTFILE }: { outfile?: string } = {}): Promise<string> {
  return bundleEntry(join(here, 'entrypoint.ts'), outfile);
}

if (isMain(import.meta.url)) {
  const outfile = await buildJudgeJob({ outfile: process.argv[2] ? resolve(process.argv[2]) : undefined });
  process.stdout.write(`bundled ${outfile}\n`);
}
