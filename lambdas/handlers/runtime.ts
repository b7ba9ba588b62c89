/**
 * Cloud wiring shared by the Lambda handlers: configuration read once from the environment (on first use, not at
 * import), the S3 results store, the asset resolver caching in /tmp, the judge key from Secrets Manager (fetched
 * once per container, never logged) and the Powertools logger.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { AssetResolver } from '../adapters/assets.ts';
import { openBlobStore, s3ClientFromEnv } from '../adapters/blob-store.ts';
import { readSource } from '../adapters/read-source.ts';
import type { WorkflowDeps } from '../services/workflow/deps.ts';

const secrets = new SecretsManagerClient({});
export const logger = new Logger({ serviceName: 'alpaca-eval-pipeline' });

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

const secretCache = new Map<string, Promise<string | undefined>>();
/** Reads a secret's string value once per container. */
export function secretValue(arnVar: string): Promise<string | undefined> {
  const arn = process.env[arnVar];
  if (!arn) return Promise.resolve(undefined);
  let p = secretCache.get(arn);
  if (!p) {
    p = secrets.send(new GetSecretValueCommand({ SecretId: arn })).then((r) => r.SecretString?.trim() || undefined);
    secretCache.set(arn, p);
    p.catch(() => secretCache.delete(arn));
  }
  return p;
}

let memo: WorkflowDeps | undefined;

export function cloudDeps(): WorkflowDeps {
  memo ??= buildCloudDeps();
  return memo;
}

function buildCloudDeps(): WorkflowDeps {
  const env = process.env;
  const s3Client = s3ClientFromEnv(env);
  const store = openBlobStore(`s3://${required('RESULTS_BUCKET')}/`, { s3Client });
  return {
    store,
    assetsFor: (o) => new AssetResolver({
      cacheDir: '/tmp/aep-cache', env,
      overrides: { 'eval-set': o.evalSet, 'judge-template': o.judgeTemplate, gamed: o.gamed, 'instruction-difficulty': o.instructionDifficulty, leaderboard: o.leaderboard },
    }),
    readSource: (location) => readSource(location, { store, s3Client }),
    openAiKey: () => secretValue('OPENAI_SECRET_ARN'),
    log: {
      info: (message, extra) => logger.info(message, extra ?? {}),
      warn: (message, extra) => logger.warn(message, extra ?? {}),
      error: (message, extra) => logger.error(message, extra ?? {}),
    },
    now: () => new Date(),
    versions: { pipeline: env.AEP_VERSION ?? 'unknown', node: process.version },
  };
}

/** The part of the Lambda context the steps read. */
export interface StepContext {
  awsRequestId?: string;
  functionName?: string;
  /** Milliseconds before the Lambda times out. */
  getRemainingTimeInMillis?: () => number;
}

/** Wraps a step so that its invocation is logged with the Lambda context, and its failure with the error. */
export function lambdaStep<E, R>(name: string, step: (deps: WorkflowDeps, event: E, context: StepContext) => Promise<R>) {
  return async (event: E, context?: StepContext): Promise<R> => {
    if (context) logger.addContext(context as never);
    logger.appendKeys({ step: name });
    try {
      return await step(cloudDeps(), event, context ?? {});
    } catch (err) {
      logger.error(`${name} failed`, err as Error);
      throw err;
    }
  };
}
