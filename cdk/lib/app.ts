/** The app: the stack of the environment chosen with `-c env=`, checked by cdk-nag. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { App, Aspects, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { envConfig } from './config.js';
import { FUNCTIONS } from './functions.js';
import { IncidentResponderStack } from './stack.js';
import { AcknowledgeKnownWildcards } from './wildcards.js';

/** Where `make package` leaves the functions. */
export const DEFAULT_ASSETS = path.join(import.meta.dirname, '..', '..', 'target', 'lambda');

/** Function packages are missing: what to run first, without CDK's stack trace. */
export class MissingPackages extends Error {}

/**
 * Every function's `bootstrap.zip` must be in `assetsDir` before synthesis:
 * CDK's own error (`CannotFindAsset`, a stack trace) does not say that
 * `make package` builds them.
 */
export function checkPackages(assetsDir: string): void {
  const missing = FUNCTIONS.map((spec) => path.join(spec.crate, 'bootstrap.zip')).filter(
    (file) => !fs.existsSync(path.join(assetsDir, file)),
  );
  if (missing.length > 0) {
    const shown = missing.length === FUNCTIONS.length ? 'any function package' : missing.join(', ');
    throw new MissingPackages(
      `${assetsDir} does not hold ${shown}: run \`make package\` first (it builds one bootstrap.zip per Lambda function), then \`make synth\`.`,
    );
  }
}

/** Builds the app of `app`'s context: `env` (dev, stage, prod) and `assets`. */
export function build(app: App): IncidentResponderStack {
  const config = envConfig(app.node.tryGetContext('env') ?? 'dev');
  const assetsDir = (app.node.tryGetContext('assets') as string | undefined) ?? DEFAULT_ASSETS;
  checkPackages(assetsDir);
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
