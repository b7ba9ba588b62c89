/**
 * Deploying the synthesised stack to `moto_server`'s CloudFormation, for tests. The product is never bent to the
 * emulator: the template `cdk synth` writes is changed here, in the open, only where moto 5.2 cannot take it, and
 * `EMULATOR_REWRITES` says what and why. What moto does not model is not deployed (and not tested here): that list
 * is what a real-account test would still have to confirm.
 *
 * The bootstrap (`cdk bootstrap`) is played as CDK's would leave it: the version parameter in SSM and the assets
 * bucket, into which the synthesised Lambda asset folders are uploaded as zips (what `cdk deploy` publishes).
 */
import { CloudFormationClient, CreateStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ShippedAssembly } from '../support/shipped.ts';

export const EMULATOR_ACCOUNT = '123456789012';
export const EMULATOR_REGION = 'us-east-1';
const QUALIFIER = 'hnb659fds';

type Template = ShippedAssembly['template'];

/** One change the emulator needs: which resources it touches (by type), and why. */
export interface EmulatorRewrite {
  resourceType: string;
  action: 'removed' | 'properties changed' | 'attribute read by Ref';
  why: string;
  /** For 'attribute read by Ref': the `Fn::GetAtt` attribute replaced by `Ref` (which gives the same value on AWS). */
  attribute?: string;
  /** For 'properties changed': the new properties of every resource of the type. */
  change?: (properties: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * Resource types moto 5.2.1's CloudFormation cannot create: it skips an unknown type with a warning (then every
 * `Ref`/`Fn::GetAtt` to it breaks its dependants), and runs `Custom::` resources by invoking their Lambda (which
 * needs Docker). Each is removed (see `emulatorTemplate` for what happens to references to it).
 */
export const EMULATOR_REWRITES: EmulatorRewrite[] = [
  { resourceType: 'Custom::S3BucketNotifications', action: 'removed', why: 'a custom resource: moto would invoke its handler Lambda, which needs Docker. It turns on the bucket\'s EventBridge notifications; the test sends the READY event to StartRun itself.' },
  { resourceType: 'AWS::CloudFront::Distribution', action: 'removed', why: 'not in moto\'s CloudFormation. Report hosting is outside the run path tested here.' },
  { resourceType: 'AWS::CloudFront::OriginAccessControl', action: 'removed', why: 'not in moto\'s CloudFormation (belongs to the distribution).' },
  { resourceType: 'AWS::S3::BucketPolicy', action: 'removed', why: 'not in moto\'s CloudFormation; moto does not enforce bucket policies anyway (TLS-only and CloudFront read are asserted on the template in stack.test.ts).' },
  { resourceType: 'AWS::Scheduler::Schedule', action: 'removed', why: 'not in moto\'s CloudFormation. The test invokes StartRun directly, as the schedule would.' },
  {
    resourceType: 'AWS::Batch::ComputeEnvironment', action: 'properties changed',
    change: (p) => ({ ...p, Type: String(p.Type).toUpperCase(), ServiceRole: p.ServiceRole ?? `arn:aws:iam::${EMULATOR_ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch` }),
    why: 'moto requires ServiceRole (AWS uses the Batch service-linked role when it is absent, as the stack leaves it: that role\'s ARN is set) and an upper-case Type (CDK writes `managed`, which CloudFormation accepts).',
  },
  { resourceType: 'AWS::Batch::ComputeEnvironment', action: 'attribute read by Ref', attribute: 'ComputeEnvironmentArn', why: 'moto has no Fn::GetAtt for compute environments; Ref gives the same ARN.' },
  { resourceType: 'AWS::Batch::JobQueue', action: 'attribute read by Ref', attribute: 'JobQueueArn', why: 'moto has no Fn::GetAtt for job queues; Ref gives the same ARN.' },
  { resourceType: 'AWS::SecretsManager::Secret', action: 'removed', why: 'not in moto\'s CloudFormation. The READY path of StartRun reads no secret.' },
];

/** A reference to a removed resource, as a recognisable placeholder (an ARN-shaped string for `Ref`). */
function placeholder(id: string, attribute?: string): string {
  return attribute ? `emulator-removed-${id}-${attribute}` : `arn:aws:emulator-removed:${EMULATOR_REGION}:${EMULATOR_ACCOUNT}:${id}`;
}

function replaceRefs(value: unknown, removed: Set<string>, asRef: (id: string, attribute: string) => boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceRefs(v, removed, asRef));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string' && removed.has(o.Ref)) return placeholder(o.Ref);
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt) && removed.has(String(getAtt[0]))) return placeholder(String(getAtt[0]), String(getAtt[1]));
    if (Array.isArray(getAtt) && asRef(String(getAtt[0]), String(getAtt[1]))) return { Ref: getAtt[0] };
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, replaceRefs(v, removed, asRef)]));
  }
  return value;
}

/**
 * The template moto can create: the resources of `EMULATOR_REWRITES` removed; every `Ref`/`Fn::GetAtt` to one of
 * them becomes a placeholder string (`emulator-removed…`: a secret's ARN in an environment variable or a policy,
 * the distribution's domain in the report function's environment, an output) and `DependsOn` entries on them
 * are dropped; the 'properties changed' and 'attribute read by Ref' rewrites apply. Nothing else changes. Returns the template and the removed logical ids.
 */
export function emulatorTemplate(template: Template): { template: Template; removed: string[] } {
  const types = new Set(EMULATOR_REWRITES.filter((r) => r.action === 'removed').map((r) => r.resourceType));
  const copy = JSON.parse(JSON.stringify(template)) as Template;
  const removed = new Set(Object.entries(copy.Resources).filter(([, r]) => types.has(r.Type)).map(([id]) => id));
  for (const id of removed) delete copy.Resources[id];
  for (const r of Object.values(copy.Resources)) {
    if (Array.isArray(r.DependsOn)) r.DependsOn = r.DependsOn.filter((d) => !removed.has(String(d)));
    else if (typeof r.DependsOn === 'string' && removed.has(r.DependsOn)) delete r.DependsOn;
  }
  const asRef = (id: string, attribute: string) => EMULATOR_REWRITES.some((r) => r.action === 'attribute read by Ref' && r.attribute === attribute && copy.Resources[id]?.Type === r.resourceType);
  copy.Resources = replaceRefs(copy.Resources, removed, asRef) as Template['Resources'];
  for (const rewrite of EMULATOR_REWRITES.filter((r) => r.action === 'properties changed')) {
    for (const r of Object.values(copy.Resources)) if (r.Type === rewrite.resourceType) r.Properties = rewrite.change!(r.Properties ?? {});
  }
  if (copy.Outputs) copy.Outputs = replaceRefs(copy.Outputs, removed, asRef);
  return { template: copy, removed: [...removed].sort() };
}

/** One call in an AWS protocol, spoken directly (moto does not check signatures): no SDK client for a single call. */
async function awsCall(endpoint: string, service: string, init: { headers: Record<string, string>; body: string }): Promise<{ status: number; text: string }> {
  const res = await fetch(endpoint, {
    method: 'POST', body: init.body,
    headers: { ...init.headers, authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${EMULATOR_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0` },
  });
  return { status: res.status, text: await res.text() };
}

/**
 * What an account has before `cdk deploy`, as `cdk bootstrap` and AWS leave it: the Batch service-linked role
 * (AWS creates it with the first compute environment), the bootstrap version parameter in SSM, the assets bucket;
 * then what `cdk deploy` publishes: each Lambda asset folder zipped under its object key.
 */
export async function bootstrapAndPublish(options: { endpoint: string; s3: S3Client; assembly: ShippedAssembly; stackName: string }): Promise<void> {
  const { endpoint, s3, assembly } = options;
  const role = await awsCall(endpoint, 'iam', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    // CreateRole, not CreateServiceLinkedRole: moto would spell the name AWSServiceRoleForbatch
    body: new URLSearchParams({
      Action: 'CreateRole', Version: '2010-05-08', RoleName: 'AWSServiceRoleForBatch', Path: '/aws-service-role/batch.amazonaws.com/',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batch.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }).toString(),
  });
  if (role.status !== 200 && !role.text.includes('EntityAlreadyExists')) throw new Error(`IAM CreateRole answered HTTP ${role.status}: ${role.text}`);
  const ssm = await awsCall(endpoint, 'ssm', {
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.PutParameter' },
    body: JSON.stringify({ Name: `/cdk-bootstrap/${QUALIFIER}/version`, Value: '30', Type: 'String', Overwrite: true }),
  });
  if (ssm.status !== 200) throw new Error(`SSM PutParameter answered HTTP ${ssm.status}: ${ssm.text}`);
  const bucket = `cdk-${QUALIFIER}-assets-${EMULATOR_ACCOUNT}-${EMULATOR_REGION}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
    if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
  });
  const manifest = JSON.parse(readFileSync(join(assembly.outdir, `${options.stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  for (const file of Object.values(manifest.files)) {
    if (file.source.packaging !== 'zip') continue;
    const zip = zipFolder(join(assembly.outdir, file.source.path));
    for (const d of Object.values(file.destinations)) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: d.objectKey, Body: zip }));
  }
}

/** A zip of a folder's files (Python's zipfile: moto_server brings Python, and nothing here zips in Node). */
function zipFolder(dir: string): Buffer {
  const script = 'import io,os,sys,zipfile\nb=io.BytesIO()\nz=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED)\n'
    + 'for r,_,fs in os.walk(sys.argv[1]):\n  for f in fs:\n    p=os.path.join(r,f); z.write(p,os.path.relpath(p,sys.argv[1]))\n'
    + 'z.close()\nsys.stdout.buffer.write(b.getvalue())\n';
  return execFileSync('python3', ['-c', script, dir], { maxBuffer: 256 * 1024 * 1024 });
}

/** Creates the stack and waits for CREATE_COMPLETE; on any other end, throws with the failed resources' reasons. */
export async function createStack(cfn: CloudFormationClient, stackName: string, template: Template): Promise<Record<string, string>> {
  await cfn.send(new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] }));
  for (let i = 0; i < 600; i++) {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    const status = stack?.StackStatus ?? 'UNKNOWN';
    if (status === 'CREATE_COMPLETE') return Object.fromEntries((stack!.Outputs ?? []).map((o: Output) => [o.OutputKey!, o.OutputValue!]));
    if (!status.endsWith('_IN_PROGRESS')) {
      const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }))).StackEvents ?? [];
      const reasons = events.filter((e) => e.ResourceStatus?.endsWith('FAILED')).map((e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`);
      throw new Error(`stack ${stackName} ended ${status}: ${reasons.join('; ') || stack?.StackStatusReason || 'no reason given'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stack ${stackName} did not finish creating`);
}

export { CloudFormationClient };
