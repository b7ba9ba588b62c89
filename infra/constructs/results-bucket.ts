/**
 * The results bucket: every run folder, checkpoints, the judge cache and published reports. Private, encrypted,
 * versioned, TLS-only, with EventBridge notifications (checkpoint triggers) and access logs in a sibling bucket.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { JUDGING_PREFIX } from '../../lambdas/core/run/layout.ts';

export const BUCKET_PREFIXES = {
  runs: 'runs/',
  checkpoints: 'checkpoints/',
  judgeCache: 'cache/judge/',
  assetCache: 'cache/assets/',
  reports: 'reports/',
  /** Runs judging now, so that concurrent runs share the judge's rate limits. */
  judging: JUDGING_PREFIX,
} as const;

export interface ResultsBucketProps {
  judgeCacheDays: number;
}

export class ResultsBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ResultsBucketProps) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This is the access-log bucket itself; logging it would recurse.' });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      eventBridgeEnabled: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'results/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'JudgeCache', prefix: BUCKET_PREFIXES.judgeCache, expiration: Duration.days(props.judgeCacheDays), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'AssetCache', prefix: BUCKET_PREFIXES.assetCache, expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'Judging', prefix: BUCKET_PREFIXES.judging, expiration: Duration.days(2), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'OldVersions', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
  }
}
