/** Test set-up: each environment's stack over stand-in function packages, offline. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

import { build } from '../lib/app.js';
import { FUNCTIONS } from '../lib/functions.js';
import type { IncidentResponderStack } from '../lib/stack.js';

/** A folder of one small `bootstrap.zip` per function: no Rust build. */
export function standInAssets(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'responder-cdk-assets-'));
  for (const spec of FUNCTIONS) {
    fs.mkdirSync(path.join(dir, spec.crate));
    // An empty zip archive: the end-of-central-directory record only.
    fs.writeFileSync(path.join(dir, spec.crate, 'bootstrap.zip'), Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]));
  }
  return dir;
}

export interface Synthesized {
  readonly stack: IncidentResponderStack;
  readonly template: Template;
  /** The template as CloudFormation JSON, for cfn-lint. */
  readonly json: Record<string, unknown>;
  /** The cloud assembly: the template and its staged assets. */
  readonly outdir: string;
}

const assets = standInAssets();
const cache = new Map<string, Synthesized>();

/** The stack of `env`, synthesized once (cdk-nag runs on it; findings throw). */
export function synth(env: string): Synthesized {
  const known = cache.get(env);
  if (known) {
    return known;
  }
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `responder-cdk-${env}-`));
  const app = new App({ context: { env, assets }, outdir });
  const stack = build(app);
  const assembly = app.synth();
  const json = JSON.parse(fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8')) as Record<string, unknown>;
  const synthesized = { stack, template: Template.fromJSON(json), json, outdir: assembly.directory };
  cache.set(env, synthesized);
  return synthesized;
}
