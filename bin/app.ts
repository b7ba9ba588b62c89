/** The CDK app: reads the typed config from cdk.json context and synthesises the stack, with cdk-nag. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseStackConfig } from '../infra/config.ts';
import { AlpacaEvalStack } from '../infra/alpaca-eval-stack.ts';

const app = new App();
const config = parseStackConfig(app.node.tryGetContext('aep'));
new AlpacaEvalStack(app, 'AlpacaEvalPipeline', { config, description: 'AlpacaEval 2.0 evaluation pipeline (alpaca-eval-pipeline)' });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
