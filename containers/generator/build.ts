/**
 * Bundles the generator entry point into one ESM file for the image: `npx tsx containers/generator/build.ts [outfile]`
 * (default containers/generator/dist/entrypoint.mjs). Everything, SDKs included, goes into the bundle, so the image
 * needs only the `node` binary.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, isMain } from '../bundle.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUTFILE = join(here, 'dist', 'entrypoint.mjs');

export function buildGenerator({ outfile = DEFAULT_OUTFILE }: { outfile?: string } = {}): Promise<string> {
  return bundleEntry(join(here, 'entrypoint.ts'), outfile);
}

if (isMain(import.meta.url)) {
  const outfile = await buildGenerator({ outfile: process.argv[2] ? resolve(process.argv[2]) : undefined });
  process.stdout.write(`bundled ${outfile}\n`);
}
