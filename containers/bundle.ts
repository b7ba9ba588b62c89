/**
 * Bundles a container entry point into one ESM file for the image: everything, SDKs included, goes into the bundle,
 * so the image needs only the `node` binary. Used by `generator/build.ts` and `judge/build.ts`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export async function bundleEntry(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
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

/** Whether the module at `metaUrl` is the script node was started with (a build.ts run from the command line). */
export function isMain(metaUrl: string): boolean {
  return !!process.argv[1] && metaUrl === pathToFileURL(resolve(process.argv[1])).href;
}
