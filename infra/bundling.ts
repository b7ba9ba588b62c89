/**
 * How every Lambda handler is bundled: one esbuild configuration, used by `EvalFunction` (so by `cdk synth` and
 * `cdk deploy`) and, through a synthesis of the real stack, by the tests that run the shipped bundles
 * (`test/support/shipped.ts`). Change it here and both follow.
 *
 * `keepNames` matters beyond stack traces: the state machine's Retry/Catch clauses match error names, and Lambda
 * reports `errorType` from `error.name`. The error classes spell their names out (`lambdas/core/errors.ts`); keeping
 * names also keeps any class or function name read at run time.
 */
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { join } from 'node:path';
import { TOKENIZER_DIR } from '../lambdas/services/judge/token-count.ts';
import { packageRoot } from './package-version.ts';

/** Folder of the handler entry points: `lambdas/handlers/<handler>.ts` (from the package root: the built CLI runs from dist/). */
export const HANDLERS_DIR = join(packageRoot(), 'lambdas', 'handlers');

/** The esbuild options shared by every handler. */
export const LAMBDA_BUNDLING = {
  format: nodejs.OutputFormat.ESM,
  target: 'node24',
  sourceMap: true,
  minify: true,
  keepNames: true,
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ESM bundle need `require`.
  banner: "import { createRequire as __aepCreateRequire } from 'node:module'; const require = __aepCreateRequire(import.meta.url);",
  // Everything, the AWS SDK included, is bundled: the versions tested are the versions shipped.
  externalModules: [] as string[],
} as const satisfies nodejs.BundlingOptions;

/** The bundle's file name inside its asset folder (ESM output). */
export const BUNDLE_FILE = 'index.mjs';

/** The encodings a function that counts tokens loads (`lambdas/services/judge/token-count.ts`). */
const TOKENIZER_ENCODINGS = ['cl100k_base', 'o200k_base'] as const;

export interface HandlerBundlingExtras {
  /** Files (relative to the repository root) copied next to the bundle. */
  extraFiles?: string[];
  /**
   * Build the tokenizer encodings as separate files in `tokenizers/` (TOKENIZER_DIR) next to the bundle. The bundle never contains
   * them (their specifiers are computed), so only a function that counts tokens ships them, and loads them only
   * when it counts: its import stays fast.
   */
  tokenizers?: boolean;
}

/** The bundling options of one handler: the shared ones, plus files copied or built next to the bundle. */
export function lambdaBundling(extras: HandlerBundlingExtras = {}): nodejs.BundlingOptions {
  const extraFiles = extras.extraFiles ?? [];
  const after = (inputDir: string, outputDir: string): string[] => [
    ...extraFiles.map((f) => `cp "${join(inputDir, f)}" "${outputDir}/"`),
    ...(extras.tokenizers ? [
      `cd "${inputDir}" && "${join(inputDir, 'node_modules', '.bin', 'esbuild')}" ${TOKENIZER_ENCODINGS.map((e) => `gpt-tokenizer/encoding/${e}`).join(' ')}`
        + ` --bundle --format=esm --platform=node --target=${LAMBDA_BUNDLING.target} --minify --log-level=warning`
        + ` --outdir="${join(outputDir, TOKENIZER_DIR)}" --out-extension:.js=.mjs`,
    ] : []),
  ];
  const hooked = extraFiles.length > 0 || extras.tokenizers === true;
  return {
    ...LAMBDA_BUNDLING,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    externalModules: [...LAMBDA_BUNDLING.externalModules],
    ...(hooked ? {
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: after,
      },
    } : {}),
  };
}
