// The state machine file is the contract between the Rust functions, the
// local engine and this app: every `${...}` placeholder has a substitution,
// every substitution is used, and the file is valid ASL.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { FUNCTIONS } from '../lib/functions.js';
import { ASL_FILE } from '../lib/pipeline.js';
import { synth } from './support.js';

const asl = fs.readFileSync(ASL_FILE, 'utf8');
const placeholders = new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!));

test('every placeholder of the ASL file has a substitution, and every substitution is used', () => {
  const { stack } = synth('dev');
  const substituted = new Set(Object.keys(stack.pipeline.substitutions));
  assert.deepEqual([...placeholders].sort(), [...substituted].sort());
  assert.equal(substituted.size, FUNCTIONS.filter((f) => f.substitution).length);
});

test('the synthesized state machine substitutes each placeholder with its function ARN', () => {
  const { template } = synth('stage');
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values(machines) as { Properties: Record<string, any> }[];
  assert.ok(machine);
  const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, any>;
  for (const name of placeholders) {
    const value = substitutions[name];
    assert.ok(value?.['Fn::GetAtt']?.[1] === 'Arn', `${name} is ${JSON.stringify(value)}`);
  }
  // DefinitionBody.fromFile: the definition is the file, unchanged, staged
  // as an asset that CloudFormation reads from S3.
  assert.ok(machine.Properties.DefinitionS3Location, JSON.stringify(Object.keys(machine.Properties)));
  const { outdir } = synth('stage');
  const staged = fs.readdirSync(outdir).filter((f) => f.startsWith('asset.') && f.endsWith('.json'));
  assert.ok(
    staged.some((f) => fs.readFileSync(path.join(outdir, f), 'utf8') === asl),
    `no staged copy of the ASL file among ${staged.join(', ')}`,
  );
});

const validator = path.join(import.meta.dirname, '..', 'node_modules', 'asl-validator', 'dist', 'bin', 'asl-validator.js');

function validate(file: string): { ok: boolean; output: string } {
  try {
    const output = execFileSync(process.execPath, [validator, '--json-path', file], { encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

test('the ASL file passes asl-validator', () => {
  const { ok, output } = validate(ASL_FILE);
  assert.ok(ok, output);
  assert.match(output, /is valid/);
});

test('asl-validator catches a transition to a state that does not exist', () => {
  const broken = JSON.parse(asl) as { States: Record<string, { Next?: string }>; StartAt: string };
  broken.States[broken.StartAt]!.Next = 'NoSuchState';
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'responder-asl-')), 'broken.asl.json');
  fs.writeFileSync(file, JSON.stringify(broken));
  assert.equal(validate(file).ok, false);
});

/** Every Task state of the ASL file, nested ones included. */
function taskStates(states: Record<string, any>, out: [string, any][] = []): [string, any][] {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') out.push([name, state]);
    for (const branch of state.Branches ?? []) taskStates(branch.States, out);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) taskStates(processor.States, out);
  }
  return out;
}

test('each function may run as long as every state that calls it allows', () => {
  const { template } = synth('prod');
  const functions = template.findResources('AWS::Lambda::Function');
  const timeoutOf = (crate: string): number => {
    const found = Object.values(functions).find((f: any) =>
      String(f.Properties.Description ?? '').startsWith(`incident-responder ${crate} `),
    ) as { Properties: { Timeout: number } } | undefined;
    assert.ok(found, `no function for ${crate}`);
    return found.Properties.Timeout;
  };
  for (const [name, state] of taskStates(JSON.parse(asl).States)) {
    const placeholder = (state.Resource.startsWith('${') ? state.Resource : state.Parameters?.FunctionName) as string;
    const spec = FUNCTIONS.find((f) => `\${${f.substitution}}` === placeholder);
    assert.ok(spec, `${name}: ${placeholder} is no function`);
    if (typeof state.TimeoutSeconds === 'number') {
      assert.ok(
        timeoutOf(spec.crate) >= state.TimeoutSeconds,
        `${name}: ${spec.crate} times out at ${timeoutOf(spec.crate)} s, its state allows ${state.TimeoutSeconds} s`,
      );
    }
  }
});
