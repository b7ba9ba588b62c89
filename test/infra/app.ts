/** Builds the stack for assertions: no bundling, no built-in CloudFormation validation (toolchain.md §1). */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AlpacaEvalStack } from '../../infra/alpaca-eval-stack.ts';
import { parseStackConfig } from '../../infra/config.ts';

export function buildStack(context: unknown = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false } as ConstructorParameters<typeof App>[0]);
  const stack = new AlpacaEvalStack(app, 'AlpacaEvalPipeline', { config: parseStackConfig(context) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The template with content hashes (assets, bundles) replaced, so a snapshot is the same on every machine. */
export function normalisedTemplate(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}(\.(zip|json|tar))?/g, 'HASH$1'));
}
