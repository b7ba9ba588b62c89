/**
 * AWS Batch for generation: a spot-first GPU compute environment with an on-demand one behind it, one job queue,
 * and the job definition of the vLLM generator container (1 GPU, retried when spot capacity is reclaimed).
 */
import { Duration, Size, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { StackConfig } from '../config.ts';
import { packageRoot } from '../package-version.ts';

export interface GenerationBatchProps {
  gpu: StackConfig['gpu'];
  bucket: s3.IBucket;
  hfTokenSecret: secretsmanager.ISecret;
  /** The generator image; default: built from containers/generator/Dockerfile with the repository as context. */
  image?: ecs.ContainerImage;
}

export class GenerationBatch extends Construct {
  readonly jobQueue: batch.JobQueue;
  readonly jobDefinition: batch.EcsJobDefinition;
  readonly vpc: ec2.Vpc;

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
    this.jobQueue = new batch.JobQueue(this, 'Queue', { priority: 1 });
    if (props.gpu.spot) {
      const spot = new batch.ManagedEc2EcsComputeEnvironment(this, 'SpotGpu', {
        ...common, spot: true, allocationStrategy: batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED,
      });
      this.jobQueue.addComputeEnvironment(spot, 1);
    }
    this.jobQueue.addComputeEnvironment(onDemand, 2);

    const logGroup = new logs.LogGroup(this, 'GeneratorLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const jobRole = new iam.Role(this, 'GeneratorJobRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    props.bucket.grantReadWrite(jobRole);
    const container = new batch.EcsEc2ContainerDefinition(this, 'Generator', {
      image: props.image ?? ecs.ContainerImage.fromAsset(packageRoot(), {
        file: 'containers/generator/Dockerfile',
        exclude: ['node_modules', 'cdk.out', '.git', '.scratch', 'coverage', 'test-artifacts', 'runs', 'out'],
      }),
      jobRole,
      gpu: 1,
      cpu: 4,
      memory: Size.gibibytes(14),
      logging: ecs.LogDriver.awsLogs({ streamPrefix: 'generator', logGroup }),
      environment: {
        ENGINE_MAX_MODEL_LEN: String(props.gpu.maxModelLen),
        ENGINE_GPU_MEMORY_UTILIZATION: String(props.gpu.gpuMemoryUtilization),
      },
      secrets: { HF_TOKEN: batch.Secret.fromSecretsManager(props.hfTokenSecret) },
    });

    this.jobDefinition = new batch.EcsJobDefinition(this, 'GeneratorJob', {
      container,
      timeout: Duration.minutes(props.gpu.jobTimeoutMinutes),
      retryAttempts: 3,
      retryStrategies: [
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.CANNOT_PULL_CONTAINER),
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onExitCode: '*' })),
      ],
    });
    Validations.of(this.vpc).acknowledge({ id: 'AwsSolutions-EC23', reason: 'The security group allows no inbound traffic.' });
  }
}
