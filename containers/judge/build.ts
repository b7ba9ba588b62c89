/**
 * Bundles the judge job entry point into one ESM file: `npx tsx containers/judge/build.ts [outfile]` (default
 * containers/judge/dist/entrypoint.mjs). Everything, SDKs included, goes into the bundle: the image needs only `node`
 * (and `vllm`, which the generator image has).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUTFILE = join(here, 'dist', 'entrypoint.mjs');

export async function buildJudgeJob({ outfile = DEFAULT_OUTFILE }: { outfile?: string } = {}): Promise<string> {
  await build({
    entryPoints: [join(here, 'entrypoint.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: { js: "import { createRequire as __aepCreateRequire } from 'node:module'; const require = __aepCreateRequire(import.meta.url);" },
    legalComments: 'linked',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outfile = await buildJudgeJob({ outfile: process.argv[2] ? resolve(process.argv[2]) : undefined });
  process.stdout.write(`bundled ${outfile}\n`);
}
