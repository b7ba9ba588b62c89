/**
 * The state machine definition of the stack, as a plain ASL object: the stack is synthesised in-process (no
 * bundling, no image build) and the definition's `Fn::Join` / `Ref` / `Fn::GetAtt` are resolved to placeholder
 * ARNs. This is the one definition both AWS and `aep run` execute (the built CLI reads it from the build:
 * `load-definition.ts`).
 */
import { App, CfnResource } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AlpacaEvalStack } from '../alpaca-eval-stack.ts';
import { parseStackConfig } from '../config.ts';
import type { LocalDefinition } from './load-definition.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

type Cfn = unknown;

function resolveCfn(value: Cfn, ref: (logicalId: string, attribute?: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveCfn(v, ref));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, Cfn[]];
      return parts.map((p) => resolveCfn(p, ref)).join(sep);
    }
    if ('Ref' in o) return ref(o.Ref as string);
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      return ref(id, attr);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveCfn(v, ref)]));
  }
  return value;
}

export type { LocalDefinition } from './load-definition.ts';

/** Synthesises the stack with `contextConfig` (the `aep` context value; default cdk.json's) and returns its ASL. */
export function synthLocalDefinition(contextConfig?: unknown): LocalDefinition {
  const config = parseStackConfig(contextConfig ?? {});
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false } as ConstructorParameters<typeof App>[0]);
  const stack = new AlpacaEvalStack(app, 'AlpacaEvalPipeline', {
    config, generatorImage: ecs.ContainerImage.fromRegistry('local/alpaca-eval-generator:placeholder'),
  });
  const cfn = stack.workflow.stateMachine.node.defaultChild as CfnStateMachine;
  const types = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    if (c instanceof CfnResource) types.set(stack.resolve(c.logicalId) as string, c.cfnResourceType);
  }
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
  const ref = (id: string, attr?: string): string => {
    if (pseudo[id]) return pseudo[id]!;
    const type = types.get(id) ?? 'unknown';
    if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    if (type === 'AWS::Batch::JobQueue') return `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/${id}`;
    if (type === 'AWS::Batch::JobDefinition') return `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/${id}:1`;
    return attr ? `${id}.${attr}` : id;
  };
  const text = resolveCfn(stack.resolve(cfn.definitionString), ref);
  if (typeof text !== 'string') throw new Error('the state machine definition did not resolve to a string');
  return { definition: JSON.parse(text) as Record<string, unknown>, config };
}
