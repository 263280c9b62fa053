// QueryLogs' discovery and the QueryChanges function as a reviewer reads
// them: every new action a read, each as narrow as IAM lets it be, every
// wildcard acknowledged with its own reason, and a wildcard no reason covers
// still failing the synthesis.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { App, Aspects, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

import { ENVIRONMENTS } from '../lib/config.js';
import { readablePatterns } from '../lib/discovery.js';
import { AcknowledgeKnownWildcards } from '../lib/wildcards.js';
import { synth } from './support.js';

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The statements of a function's role (its default policy), resolved. */
function roleStatements(crate: string, env = 'dev'): Statement[] {
  const { stack } = synth(env);
  const policy = stack.pipeline.functions[crate]!.role!.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy;
  return (stack.resolve(policy.policyDocument) as { Statement: Statement[] }).Statement;
}

/** A resolved ARN as text: `{"Ref": "AWS::Region"}` as `<Region>`, joins joined. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const token = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (token.Ref) return `<${token.Ref.replace(/^AWS::/, '')}>`;
  if (token['Fn::Join']) return token['Fn::Join'][1].map(text).join(token['Fn::Join'][0]);
  return JSON.stringify(value);
}

/** The resources granted for `action`, as text. */
function resourcesOf(statements: Statement[], action: string): string[] {
  return statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource).map(text));
}

/** The cdk-nag acknowledgements recorded on a function role's policy: finding → reason. */
function acknowledged(crate: string): Record<string, string> {
  const { stack } = synth('dev');
  const policy = stack.pipeline.functions[crate]!.role!.node.findChild('DefaultPolicy').node.defaultChild as IConstruct;
  const entries = policy.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data as Record<string, string>);
  return Object.fromEntries(entries.flatMap((e) => Object.entries(e)).map(([k, v]) => [k.replace(/^Annotation::/, ''), v]));
}

test('query-changes runs QueryChanges on its own role: cloudtrail:LookupEvents on *, acknowledged with its reason', () => {
  const { template } = synth('prod');
  const functions = Object.values(template.findResources('AWS::Lambda::Function')) as any[];
  const fn = functions.find((f) => String(f.Properties.Description).startsWith('incident-responder query-changes '));
  assert.ok(fn, 'no query-changes function');
  assert.equal(fn.Properties.Timeout, 60);
  assert.ok(fn.Properties.Environment.Variables.RESPONDER_POLICY, 'the windows come from the policy');
  const statements = roleStatements('query-changes');
  assert.deepEqual(resourcesOf(statements, 'cloudtrail:LookupEvents'), ['*']);
  const services = new Set(statements.flatMap((s) => list(s.Action)).map((a) => a.split(':')[0]));
  assert.deepEqual([...services].sort(), ['cloudtrail', 'logs', 'xray']);
  assert.match(acknowledged('query-changes')['AwsSolutions-IAM5[Resource::*]'] ?? '', /^cloudtrail:LookupEvents supports no resource-level permissions\./);
});

test("query-logs' discovery reads only, each action as narrow as IAM allows, each wildcard with its reason", () => {
  const statements = roleStatements('query-logs');
  const actions = statements.flatMap((s) => list(s.Action));
  for (const action of actions) {
    assert.match(action, /^(logs|lambda|apigateway|elasticloadbalancing|ecs|tag|xray):(Get|Describe|List|StartQuery|StopQuery|CreateLogStream|PutLogEvents|PutTrace|PutTelemetry|GET$)/, `${action} is not a read`);
  }
  const scoped = (action: string) => resourcesOf(statements, action).sort();
  assert.deepEqual(scoped('logs:DescribeLogGroups'), ['arn:<Partition>:logs:<Region>:<AccountId>:log-group:*']);
  assert.deepEqual(scoped('lambda:GetFunctionConfiguration'), ['arn:<Partition>:lambda:<Region>:<AccountId>:function:*']);
  assert.deepEqual(scoped('ecs:DescribeServices'), ['arn:<Partition>:ecs:<Region>:<AccountId>:service/*']);
  assert.deepEqual(scoped('apigateway:GET'), [
    'arn:<Partition>:apigateway:<Region>::/apis/*/integrations',
    'arn:<Partition>:apigateway:<Region>::/apis/*/stages',
    'arn:<Partition>:apigateway:<Region>::/apis/*/stages/*',
    'arn:<Partition>:apigateway:<Region>::/restapis',
    'arn:<Partition>:apigateway:<Region>::/restapis/*/resources',
    'arn:<Partition>:apigateway:<Region>::/restapis/*/stages',
    'arn:<Partition>:apigateway:<Region>::/restapis/*/stages/*',
  ]);
  // Only the actions IAM cannot scope are granted on *.
  const onAny = statements.filter((s) => list(s.Resource).includes('*')).flatMap((s) => list(s.Action)).sort();
  assert.deepEqual(onAny, [
    'ecs:DescribeTaskDefinition',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeTargetHealth',
    'lambda:ListEventSourceMappings',
    'logs:GetQueryResults',
    'logs:StopQuery',
    'tag:GetResources',
    'xray:PutTelemetryRecords',
    'xray:PutTraceSegments',
  ]);
  const reasons = acknowledged('query-logs');
  for (const reason of [
    'lambda:ListEventSourceMappings supports no resource-level permissions',
    'elasticloadbalancing:Describe* actions support no resource-level permissions',
    'ecs:DescribeTaskDefinition supports no resource-level permissions',
    'tag:GetResources supports no resource-level permissions',
  ]) {
    assert.ok(reasons['AwsSolutions-IAM5[Resource::*]']!.includes(reason), `no reason "${reason}"`);
  }
  const findings = Object.keys(reasons);
  for (const wildcard of ['log-group:*', 'function:*', 'service/*', '/restapis/*/stages/*', '/apis/*/integrations']) {
    assert.ok(findings.some((f) => f.endsWith(`${wildcard}]`)), `${wildcard} is not acknowledged: ${findings.join(', ')}`);
  }
});

test('query-logs is told what it may read and its bounds; the role may query exactly those groups', () => {
  const { template } = synth('stage');
  const fn = (Object.values(template.findResources('AWS::Lambda::Function')) as any[]).find((f) =>
    String(f.Properties.Description).startsWith('incident-responder query-logs '),
  );
  const variables = fn.Properties.Environment.Variables;
  assert.equal(variables.LOG_GROUP_PATTERNS, ENVIRONMENTS.stage.logGroupPatterns.join(','));
  assert.equal(variables.DISCOVERY_MAX_CALLS, '30');
  assert.equal(variables.DISCOVERY_DEADLINE_SECONDS, '8');
  assert.equal(variables.LOG_GROUP_PREFIXES, undefined, 'no prefixes configured');
  const startQuery = resourcesOf(roleStatements('query-logs', 'stage'), 'logs:StartQuery');
  assert.equal(startQuery.length, ENVIRONMENTS.stage.logGroupPatterns.length);
});

test('configured prefixes and agent groups become readable; more than five prefixes is refused', () => {
  const config = {
    ...ENVIRONMENTS.dev,
    discovery: { ...ENVIRONMENTS.dev.discovery, prefixes: ['/platform/'], ec2Patterns: ['/ec2/{instance_id}/messages'] },
  };
  assert.deepEqual(readablePatterns(config).slice(-2), ['/platform/*', '/ec2/*/messages']);
  const tooMany = { ...config, discovery: { ...config.discovery, prefixes: ['/a/', '/b/', '/c/', '/d/', '/e/', '/f/'] } };
  assert.throws(() => readablePatterns(tooMany), /holds 6 prefixes; Logs Insights takes at most 5/);
});

test('a wildcard that no reason covers still fails the synthesis', () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'responder-nag-')) });
  const stack = new Stack(app, 'Unexplained');
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  // LookupEvents is known; GetObject on every bucket is not.
  role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudtrail:LookupEvents', 's3:GetObject'], resources: ['*'] }));
  Aspects.of(stack).add(new AcknowledgeKnownWildcards());
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  assert.throws(() => app.synth(), /Validation failed/);
});
