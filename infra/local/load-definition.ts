/**
 * The state machine definition `aep run` executes, without loading aws-cdk-lib when it can: the build
 * (`bin/build.mjs`) synthesises the stack once and writes the definition next to the built CLI
 * (`dist/state-machine.json`); from the sources, where no such file sits next to this module, the stack is
 * synthesised in-process (`definition.ts`). Both are the same CDK code, and a test checks that they agree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StackConfig } from '../config.ts';

export interface LocalDefinition {
  /** The ASL definition, ready for a local interpreter. */
  definition: Record<string, unknown>;
  /** The stack configuration it was built with. */
  config: StackConfig;
}

/** File name of the built definition, next to the built CLI's modules. */
export const BUILT_DEFINITION_FILE = 'state-machine.json';

/** The built definition when this module runs from the build, else the in-process synthesis. */
export async function loadLocalDefinition(): Promise<LocalDefinition> {
  const built = fileURLToPath(new URL(`./${BUILT_DEFINITION_FILE}`, import.meta.url));
  if (existsSync(built)) return JSON.parse(readFileSync(built, 'utf8')) as LocalDefinition;
  const { synthLocalDefinition } = await import('./definition.ts');
  return synthLocalDefinition();
}
