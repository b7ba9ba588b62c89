/**
 * The alpaca-eval-pipeline stack: composition only. Bucket, secrets, GPU Batch, the Lambda functions, the
 * workflow, its triggers and report hosting.
 */
import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { canonicalJson } from '../lambdas/core/run/run-config.ts';
import type { StackConfig } from './config.ts';
import { EvalFunction } from './constructs/eval-function.ts';
import { EvalWorkflow } from './constructs/eval-workflow.ts';
import { GenerationBatch } from './constructs/generation-batch.ts';
import { ReportHosting } from './constructs/report-hosting.ts';
import { ResultsBucket } from './constructs/results-bucket.ts';
import { RunTriggers } from './constructs/run-triggers.ts';

export interface AlpacaEvalStackProps extends StackProps {
  config: StackConfig;
}

export class AlpacaEvalStack extends Stack {
  readonly workflow: EvalWorkflow;
  readonly results: ResultsBucket;

  constructor(scope: Construct, id: string, props: AlpacaEvalStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.results = new ResultsBucket(this, 'Results', { judgeCacheDays: config.judgeCacheDays });
    const bucket = this.results.bucket;

    const openAiKey = new secretsmanager.Secret(this, 'OpenAiApiKey', { description: 'OpenAI API key of the judge: set its value (plain text) after deploying' });
    const hfToken = new secretsmanager.Secret(this, 'HuggingFaceToken', { description: 'Hugging Face token for gated or private models (plain text; any value if unused)' });
    for (const s of [openAiKey, hfToken]) {
      Validations.of(s).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'Third-party API tokens cannot be rotated by a Lambda; they are replaced by hand.' });
    }

    const generation = new GenerationBatch(this, 'Generation', { gpu: config.gpu, bucket, hfTokenSecret: hfToken });

    const fn = (id: string, handler: string, description: string, opts: { timeout?: Duration; memorySize?: number } = {}) =>
      new EvalFunction(this, id, { handler, description, ...opts }).bindBucket(bucket, 'readWrite');
    const prepare = fn('PrepareRun', 'prepare', 'Creates the run folder: config, assets, manifest, judge plan');
    const judgeChunk = fn('JudgeChunk', 'judge-chunk', 'Judges one chunk of rows with the OpenAI judge (cached, retried)', { timeout: Duration.minutes(15) })
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const judgeBatch = fn('JudgeBatch', 'judge-batch', 'Submits and collects an OpenAI Batch API judge job', { timeout: Duration.minutes(15) })
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const aggregate = fn('Aggregate', 'aggregate', 'Merges judge chunks; computes win rate, LC win rate and the leaderboard', { memorySize: 2048, timeout: Duration.minutes(5) });
    const report = fn('RenderReport', 'report', 'Renders the HTML report and publishes it under reports/');
    const recordFailure = fn('RecordFailure', 'record-failure', 'Records why a run failed in its manifest', { timeout: Duration.minutes(1) });

    this.workflow = new EvalWorkflow(this, 'Workflow', {
      functions: { prepare: prepare.fn, judgeChunk: judgeChunk.fn, judgeBatch: judgeBatch.fn, aggregate: aggregate.fn, report: report.fn, recordFailure: recordFailure.fn },
      jobQueue: generation.jobQueue,
      jobDefinition: generation.jobDefinition,
      parallelChunks: config.judge.parallelChunks,
    });

    const trigger = fn('StartRun', 'trigger', 'Starts a run for a new checkpoint or model revision, once per revision', { timeout: Duration.minutes(1) })
      .bindSecret(hfToken, 'HF_SECRET_ARN');
    trigger.fn.addEnvironment('STATE_MACHINE_ARN', this.workflow.stateMachine.stateMachineArn);
    trigger.fn.addEnvironment('AEP_STACK_CONFIG', canonicalJson(config));
    this.workflow.stateMachine.grantStartExecution(trigger.fn);
    trigger.fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['states:DescribeExecution'],
      resources: [`arn:${this.partition}:states:${this.region}:${this.account}:execution:${this.workflow.stateMachine.stateMachineName}:*`],
    }));
    new RunTriggers(this, 'Triggers', { bucket, trigger: trigger.fn, schedule: config.schedule });

    const hosting = new ReportHosting(this, 'Reports', { bucket, logBucket: this.results.accessLogs });
    report.fn.addEnvironment('REPORTS_BASE_URL', `https://${hosting.distribution.distributionDomainName}`);

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'JobQueueArn', { value: generation.jobQueue.jobQueueArn });
    new CfnOutput(this, 'ReportsUrl', { value: `https://${hosting.distribution.distributionDomainName}` });
    new CfnOutput(this, 'OpenAiSecretArn', { value: openAiKey.secretArn });

    this.acknowledgeManagedFindings();
  }

  /** cdk-nag findings that are the chosen design, each with its reason. */
  private acknowledgeManagedFindings(): void {
    Validations.of(this).acknowledge({ id: 'AwsSolutions-IAM4', reason: 'AWSLambdaBasicExecutionRole and the AWS Batch service-role managed policies are the documented least-privilege baselines for these services.' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-IAM5', reason: 'Wildcards are object keys inside the results bucket (grantReadWrite), X-Ray/logs actions without resource scoping, and Batch job ARNs that Step Functions .sync needs; each is scoped to this stack\'s resources.' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-L1', reason: 'Functions use Node.js 22, the newest runtime supported by the pinned toolchain.' });
  }
}
