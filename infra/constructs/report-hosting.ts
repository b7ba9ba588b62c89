/**
 * Serves the published reports (`reports/` in the results bucket) through CloudFront with origin access control.
 * The bucket stays private: the bucket policy lets this distribution read `reports/*` and nothing else. `/` serves
 * `reports/index.html` (the site index the report service writes). The cache policy honours each object's
 * Cache-Control: a run's report is published immutable, the index and history pages no-cache (at most the policy's
 * 1-second minimum TTL at the edge), so no invalidation is needed after a run.
 */
import { Annotations, Aws, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKET_PREFIXES } from './results-bucket.ts';

export interface ReportHostingProps {
  bucket: s3.Bucket;
  logBucket: s3.IBucket;
}

export class ReportHosting extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: ReportHostingProps) {
    super(scope, id);
    // The origin gets a reference without policy rights, so CloudFront's default grant (the whole bucket) is not
    // added; the scoped statement below is the only one.
    const originBucket = s3.Bucket.fromBucketAttributes(this, 'ReportsOriginBucket', {
      bucketArn: props.bucket.bucketArn, bucketRegionalDomainName: props.bucket.bucketRegionalDomainName,
    });
    const origin = origins.S3BucketOrigin.withOriginAccessControl(originBucket, { originPath: `/${BUCKET_PREFIXES.reports.replace(/\/$/, '')}` });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'alpaca-eval-pipeline reports',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      defaultRootObject: 'index.html',
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    props.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudFrontReadsReportsOnly',
      principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
      actions: ['s3:GetObject'],
      resources: [props.bucket.arnForObjects(`${BUCKET_PREFIXES.reports}*`)],
      conditions: { StringEquals: { 'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/${this.distribution.distributionId}` } },
    }));
    Validations.of(this.distribution).acknowledge({ id: 'AwsSolutions-CFR1', reason: 'Reports are for the team; geo restriction adds nothing.' });
    Validations.of(this.distribution).acknowledge({ id: 'AwsSolutions-CFR2', reason: 'Static, read-only reports; a WAF web ACL costs more than it protects here.' });
    Validations.of(this.distribution).acknowledge({ id: 'AwsSolutions-CFR4', reason: 'No custom domain: the default CloudFront certificate, whose TLS policy cannot be changed, serves the reports.' });
    Annotations.of(this.distribution).acknowledgeWarning('@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      'Intended: the origin bucket reference is imported so the default whole-bucket grant is not added; the scoped reports/* statement below replaces it.');
  }
}
