/** Helpers shared by the CLI commands: error reporting, option parsing, the asset resolver. */
import { InvalidArgumentError } from 'commander';
import { AssetResolver, defaultCacheDir } from '../../lambdas/adapters/assets.ts';
import type { AssetName } from '../../lambdas/core/assets-catalog.ts';
import { AepError } from '../../lambdas/core/errors.ts';

export { version } from '../../infra/package-version.ts';

/**
 * Wraps a command action: a failure prints `aep <command>: <reason>` (one line) and sets exit code 1.
 * Unexpected errors (bugs) also print their stack when AEP_DEBUG=1.
 */
export function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const e = err as Error;
      const reason = (e?.message ?? String(err)).split('\n')[0];
      process.stderr.write(`aep ${name}: ${reason}\n`);
      if (process.env.AEP_DEBUG === '1' || !(err instanceof AepError)) {
        if (process.env.AEP_DEBUG === '1') process.stderr.write(`${e?.stack ?? ''}\n`);
      }
      process.exitCode = 1;
    }
  };
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

/** The asset resolver for a CLI invocation: flags first, then AEP_* variables, then the pinned sources. */
export function assetResolver(overrides: Partial<Record<AssetName, string | undefined>>, cacheDir?: string): AssetResolver {
  return new AssetResolver({ cacheDir: cacheDir ?? defaultCacheDir(process.env), overrides, env: process.env });
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}
