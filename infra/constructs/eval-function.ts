/**
 * The paved road for the pipeline's Lambda functions: Node 24 on arm64, ESM bundle built locally by esbuild
 * (options in `infra/bundling.ts`, shared with the tests of the shipped bundles),
 * structured JSON logs (Powertools) to a log group with retention, X-Ray tracing. `bindBucket` and `bindSecret`
 * set the environment variable and the grant together, so neither can be forgotten.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { HANDLERS_DIR, lambdaBundling } from '../bundling.ts';
import { version } from '../package-version.ts';
import { join } from 'node:path';

const VERSION = version();

export interface EvalFunctionProps {
  /** File name in lambdas/handlers/ without extension, e.g. `judge-chunk`. */
  handler: string;
  description: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  /** Files (relative to the repository root) copied next to the bundle, e.g. a browser library a page inlines. */
  extraFiles?: string[];
  /** The function counts tokens: ship the tokenizer encodings next to its bundle (see `lambdaBundling`). */
  tokenizers?: boolean;
}

/** What a function may do in the results bucket: key prefixes it reads and writes. */
export interface BucketAccess {
  read: 'bucket' | readonly string[];
  write: readonly string[];
}

export class EvalFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  /** What bindBucket granted. */
  bucketAccess?: BucketAccess;

  constructor(scope: Construct, id: string, props: EvalFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(HANDLERS_DIR, `${props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { POWERTOOLS_SERVICE_NAME: 'alpaca-eval-pipeline', NODE_OPTIONS: '--enable-source-maps', AEP_VERSION: VERSION, ...props.environment },
      bundling: lambdaBundling({ extraFiles: props.extraFiles, tokenizers: props.tokenizers }),
    });
  }

  /**
   * Sets `RESULTS_BUCKET` and grants what the function does there: read the objects under `access.read` (key
   * prefixes such as `runs/`, or `'bucket'` for any object: a user's outputs may be anywhere), and write under
   * `access.write`. Nothing is ever deleted, so no delete is granted.
   */
  bindBucket(bucket: s3.IBucket, access: BucketAccess): this {
    this.fn.addEnvironment('RESULTS_BUCKET', bucket.bucketName);
    this.bucketAccess = access;
    if (access.read === 'bucket') bucket.grantRead(this.fn);
    else for (const prefix of access.read) bucket.grantRead(this.fn, `${prefix}*`);
    for (const prefix of access.write) bucket.grantPut(this.fn, `${prefix}*`);
    return this;
  }

  /** Sets `envVar` to the secret's ARN and grants reading its value (never the value itself). */
  bindSecret(secret: secretsmanager.ISecret, envVar: string): this {
    this.fn.addEnvironment(envVar, secret.secretArn);
    secret.grantRead(this.fn);
    return this;
  }
}
