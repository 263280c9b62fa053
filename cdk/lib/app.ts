/** The app: the stack of the environment chosen with `-c env=`, checked by cdk-nag. */
import * as path from 'node:path';

import { App, Aspects, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { envConfig } from './config.js';
import { IncidentResponderStack } from './stack.js';
import { AcknowledgeKnownWildcards } from './wildcards.js';

/** Where `make package` leaves the functions. */
export const DEFAULT_ASSETS = path.join(import.meta.dirname, '..', '..', 'target', 'lambda');

/** Builds the app of `app`'s context: `env` (dev, stage, prod) and `assets`. */
export function build(app: App): IncidentResponderStack {
  const config = envConfig(app.node.tryGetContext('env') ?? 'dev');
  const assetsDir = (app.node.tryGetContext('assets') as string | undefined) ?? DEFAULT_ASSETS;
  const stack = new IncidentResponderStack(app, `IncidentResponder-${config.name}`, {
    config,
    assetsDir,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: `incident-responder (${config.name}): alarms in, analyzed incidents and notifications out`,
  });
  Aspects.of(stack).add(new AcknowledgeKnownWildcards());
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
