/**
 * AWS Batch for generation: a spot-first GPU compute environment with an on-demand one behind it, one job queue,
 * and the job definition of the vLLM generator container (1 GPU, retried when spot capacity is reclaimed); and, on
 * the same queue and image, the job definition of the open-weights judge (`containers/judge/`).
 */
import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { StackConfig } from '../config.ts';
import { packageRoot } from '../package-version.ts';
import type { BucketAccess } from './eval-function.ts';
import { BUCKET_PREFIXES } from './results-bucket.ts';

/**
 * Paths of the repository kept out of the generator image's build context: the image needs the generator's
 * sources and the lambdas they import, so a test, benchmark or documentation edit must not rebuild a multi-GB image.
 */
export const GENERATOR_CONTEXT_EXCLUDES = [
  'node_modules', 'cdk.out', '.git', '.scratch', 'coverage', 'test-artifacts', 'runs', 'out',
  'test', 'bench', 'docs', '**/*.md', 'infra', 'bin', '.github', '.vscode',
];

/** The generator reads its model (a checkpoint, or any s3:// location in the bucket) and writes its run folder. */
export const GENERATOR_BUCKET_ACCESS: BucketAccess = { read: 'bucket', write: [BUCKET_PREFIXES.runs] };

/**
 * The judge job reads the run folder and the judge cache, and writes the chunk files, the cache and its judging
 * heartbeat (the same as the Judge Chunk Lambda).
 */
export const JUDGE_JOB_BUCKET_ACCESS: BucketAccess = {
  read: [BUCKET_PREFIXES.runs, BUCKET_PREFIXES.judgeCache, BUCKET_PREFIXES.judging],
  write: [BUCKET_PREFIXES.runs, BUCKET_PREFIXES.judgeCache, BUCKET_PREFIXES.judging],
};

/** The judge job's command in the generator image (the Dockerfile's ENTRYPOINT is `node --enable-source-maps`). */
export const JUDGE_JOB_COMMAND = ['/opt/aep/judge/entrypoint.mjs'];

/** Why Batch cancels a job that stays RUNNABLE: each reason it can name. */
const STUCK_REASONS = [
  batch.JobStateTimeLimitActionsReason.INSUFFICIENT_INSTANCE_CAPACITY,
  batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
  batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
];

export interface GenerationBatchProps {
  gpu: StackConfig['gpu'];
  judgeGpu: StackConfig['judgeGpu'];
  bucket: s3.IBucket;
  /** Hugging Face token for gated or private models; without it the job gets no HF_TOKEN at all. */
  hfTokenSecret?: secretsmanager.ISecret;
  /** The generator image; default: built from containers/generator/Dockerfile with the repository as context. */
  image?: ecs.ContainerImage;
}

/**
 * Both GPU jobs: retried when spot capacity is reclaimed or the image cannot be pulled (the job resumes from what it
 * wrote), never on their own non-zero exit (a real error, recorded by the workflow).
 */
function gpuJobRetries(): Pick<batch.EcsJobDefinitionProps, 'retryAttempts' | 'retryStrategies'> {
  return {
    retryAttempts: 3,
    retryStrategies: [
      batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
      batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.CANNOT_PULL_CONTAINER),
      batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onExitCode: '*' })),
    ],
  };
}

export class GenerationBatch extends Construct {
  readonly jobQueue: batch.JobQueue;
  readonly jobDefinition: batch.EcsJobDefinition;
  readonly judgeJobDefinition: batch.EcsJobDefinition;
  readonly judgeJobRole: iam.Role;
  readonly vpc: ec2.Vpc;
  readonly computeEnvironments: batch.ManagedEc2EcsComputeEnvironment[] = [];
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GenerationBatchProps) {
    super(scope, id);
    // Public subnets only: no NAT gateway to pay for; instances need outbound access to Hugging Face and ECR.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
      flowLogs: { Rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    const securityGroup = new ec2.SecurityGroup(this, 'InstancesSecurityGroup', { vpc: this.vpc, description: 'GPU generation instances: egress only', allowAllOutbound: true });

    const launchTemplate = new ec2.LaunchTemplate(this, 'GpuLaunchTemplate', {
      requireImdsv2: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(props.gpu.rootVolumeGiB, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }) }],
    });
    const common = {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [securityGroup],
      instanceTypes: props.gpu.instanceTypes.map((t) => new ec2.InstanceType(t)),
      useOptimalInstanceClasses: false,
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }],
      launchTemplate,
      minvCpus: 0,
      maxvCpus: props.gpu.maxvCpus,
      updateToLatestImageVersion: true,
    };
    const onDemand = new batch.ManagedEc2EcsComputeEnvironment(this, 'OnDemandGpu', { ...common, spot: false });
    // A job that cannot be placed (no GPU capacity in the region, quota too small, no instance type that fits) is
    // cancelled after runnableTimeoutMinutes; the Batch step then fails with the reason, which Record Failure
    // writes into the manifest, instead of the run waiting for the state machine's 30-hour timeout.
    this.jobQueue = new batch.JobQueue(this, 'Queue', {
      priority: 1,
      jobStateTimeLimitActions: STUCK_REASONS.map((reason) => ({
        action: batch.JobStateTimeLimitActionsAction.CANCEL,
        state: batch.JobStateTimeLimitActionsState.RUNNABLE,
        maxTime: Duration.minutes(props.gpu.runnableTimeoutMinutes),
        reason,
      })),
    });
    if (props.gpu.spot) {
      const spot = new batch.ManagedEc2EcsComputeEnvironment(this, 'SpotGpu', {
        ...common, spot: true, allocationStrategy: batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED,
      });
      this.jobQueue.addComputeEnvironment(spot, 1);
      this.computeEnvironments.push(spot);
    }
    this.jobQueue.addComputeEnvironment(onDemand, 2);
    this.computeEnvironments.push(onDemand);

    const logGroup = this.logGroup = new logs.LogGroup(this, 'GeneratorLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const jobRole = new iam.Role(this, 'GeneratorJobRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    props.bucket.grantRead(jobRole);
    for (const prefix of GENERATOR_BUCKET_ACCESS.write) props.bucket.grantPut(jobRole, `${prefix}*`);
    const image = props.image ?? ecs.ContainerImage.fromAsset(packageRoot(), {
      file: 'containers/generator/Dockerfile',
      // GPU instances are x86_64: an image built on an arm64 laptop would not start there
      platform: ecrAssets.Platform.LINUX_AMD64,
      exclude: GENERATOR_CONTEXT_EXCLUDES,
    });
    const container = new batch.EcsEc2ContainerDefinition(this, 'Generator', {
      image,
      jobRole,
      gpu: 1,
      cpu: 4,
      memory: Size.gibibytes(14),
      logging: ecs.LogDriver.awsLogs({ streamPrefix: 'generator', logGroup }),
      environment: {
        ENGINE_MAX_MODEL_LEN: String(props.gpu.maxModelLen),
        ENGINE_GPU_MEMORY_UTILIZATION: String(props.gpu.gpuMemoryUtilization),
        // the S3 client of the generator needs the region; ECS on EC2 does not set it
        AWS_REGION: Stack.of(this).region,
      },
      ...(props.hfTokenSecret ? { secrets: { HF_TOKEN: batch.Secret.fromSecretsManager(props.hfTokenSecret) } } : {}),
    });

    this.jobDefinition = new batch.EcsJobDefinition(this, 'GeneratorJob', {
      container,
      timeout: Duration.minutes(props.gpu.jobTimeoutMinutes),
      ...gpuJobRetries(),
    });

    // The open-weights judge: the same image and queue, the judge bundle as command, as many GPUs as configured
    this.judgeJobRole = new iam.Role(this, 'JudgeJobRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    for (const prefix of JUDGE_JOB_BUCKET_ACCESS.read) props.bucket.grantRead(this.judgeJobRole, `${prefix}*`);
    for (const prefix of JUDGE_JOB_BUCKET_ACCESS.write) props.bucket.grantPut(this.judgeJobRole, `${prefix}*`);
    const gpus = props.judgeGpu.gpus;
    const judge = new batch.EcsEc2ContainerDefinition(this, 'Judge', {
      image,
      command: JUDGE_JOB_COMMAND,
      jobRole: this.judgeJobRole,
      gpu: gpus,
      cpu: 4 * gpus,
      memory: Size.gibibytes(14 * gpus),
      logging: ecs.LogDriver.awsLogs({ streamPrefix: 'judge', logGroup }),
      environment: {
        RESULTS_URL: `s3://${props.bucket.bucketName}/`,
        JUDGE_TENSOR_PARALLEL: String(gpus),
        AWS_REGION: Stack.of(this).region,
      },
      ...(props.hfTokenSecret ? { secrets: { HF_TOKEN: batch.Secret.fromSecretsManager(props.hfTokenSecret) } } : {}),
    });
    this.judgeJobDefinition = new batch.EcsJobDefinition(this, 'JudgeJob', {
      container: judge,
      timeout: Duration.minutes(props.judgeGpu.jobTimeoutMinutes),
      // a spot interruption restarts the job, which judges only what the judge cache does not hold yet
      ...gpuJobRetries(),
    });
    Validations.of(this.vpc).acknowledge({ id: 'AwsSolutions-EC23', reason: 'The security group allows no inbound traffic.' });
  }
}
