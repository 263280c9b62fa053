// Each environment's stack, synthesized offline over stand-in packages, as a
// reviewer reads it: least privilege, authorization, encryption, retention.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';

import { build, MissingPackages } from '../lib/app.js';
import { ENVIRONMENTS } from '../lib/config.js';
import { FUNCTIONS } from '../lib/functions.js';
import { IncidentResponderStack } from '../lib/stack.js';
import { standInAssets, synth } from './support.js';

const ENVS = Object.keys(ENVIRONMENTS);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of every identity policy in the template, with its policy's id. */
function statements(json: Record<string, any>): { policy: string; statement: Statement }[] {
  const out: { policy: string; statement: Statement }[] = [];
  for (const [id, resource] of Object.entries(json.Resources as Record<string, any>)) {
    const documents: any[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resource.Properties.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of resource.Properties.Policies ?? []) {
        documents.push(inline.PolicyDocument);
      }
    }
    for (const document of documents) {
      for (const statement of document.Statement) {
        out.push({ policy: id, statement });
      }
    }
  }
  return out;
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** The actions a role may take on `*`: none of them reads or writes data. */
const ON_ANY_RESOURCE = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'logs:GetQueryResults',
  'logs:StopQuery',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Discovery's and QueryChanges' reads of metadata, which IAM cannot scope.
  'lambda:ListEventSourceMappings',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'ecs:DescribeTaskDefinition',
  'tag:GetResources',
  'cloudtrail:LookupEvents',
]);

for (const env of ENVS) {
  test(`${env}: synthesizes with cdk-nag's AwsSolutions checks clean`, () => {
    const { template } = synth(env);
    template.resourceCountIs('AWS::Lambda::Function', FUNCTIONS.length);
  });

  test(`${env}: no wildcard action, and data is never granted on every resource`, () => {
    const { json } = synth(env);
    const all = statements(json);
    assert.ok(all.length > 20);
    for (const { policy, statement } of all) {
      for (const action of actions(statement)) {
        assert.ok(!action.includes('*'), `${policy} grants ${action}`);
      }
      if (resources(statement).includes('*')) {
        for (const action of actions(statement)) {
          assert.ok(ON_ANY_RESOURCE.has(action), `${policy} grants ${action} on *`);
        }
      }
    }
  });
}

test('each function role reaches only the tables it lists, with only the listed actions', () => {
  const { json, stack } = synth('dev');
  const resolve = (value: unknown) => JSON.stringify(stack.resolve(value));
  const tableRefs = Object.fromEntries(
    Object.entries(stack.storage.tables).map(([name, table]) => [name, resolve(table.tableArn)]),
  );
  for (const spec of FUNCTIONS) {
    const role = stack.pipeline.functions[spec.crate]!.role!;
    const roleId = stack.getLogicalId(role.node.defaultChild as any);
    const granted = statements(json).filter(({ policy }) => {
      const attached = (json.Resources as any)[policy].Properties.Roles ?? [];
      return JSON.stringify(attached).includes(roleId);
    });
    const dynamo = granted.filter(({ statement }) => actions(statement).some((a) => a.startsWith('dynamodb:')));
    const expected = Object.entries(spec.needs.tables ?? {});
    assert.equal(dynamo.length, expected.length, `${spec.crate}: ${JSON.stringify(dynamo.map((d) => d.statement))}`);
    for (const [table, wanted] of expected) {
      const statement = dynamo.find(({ statement }) => JSON.stringify(statement.Resource).includes(JSON.parse(tableRefs[table]!)['Fn::GetAtt'][0]));
      assert.ok(statement, `${spec.crate} has no statement on ${table}`);
      assert.deepEqual(actions(statement.statement).sort(), [...wanted!].sort(), `${spec.crate} on ${table}`);
    }
  }
  // The normalizer reaches nothing but its own logs and X-Ray.
  const normalize = stack.pipeline.functions['normalize-alert']!.role!;
  const normalizeId = stack.getLogicalId(normalize.node.defaultChild as any);
  const reached = statements(json)
    .filter(({ policy }) => JSON.stringify((json.Resources as any)[policy].Properties.Roles ?? []).includes(normalizeId))
    .flatMap(({ statement }) => actions(statement));
  assert.deepEqual([...new Set(reached.map((a) => a.split(':')[0]))].sort(), ['logs', 'xray']);
});

test('the routes people call are AWS_IAM; only Slack, webhooks and e-mail links are checked by the function', () => {
  const { template } = synth('prod');
  const methods = template.findResources('AWS::ApiGateway::Method');
  const open = Object.values(methods).filter((m: any) => m.Properties.AuthorizationType === 'NONE');
  const signed = Object.values(methods).filter((m: any) => m.Properties.AuthorizationType === 'AWS_IAM');
  assert.equal(open.length, 4, 'POST /webhooks/{sender}, POST /slack/interactions, GET and POST /approvals/{token}');
  assert.equal(signed.length, 9);
  template.hasResourceProperties('AWS::ApiGateway::Stage', {
    AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })]),
    TracingEnabled: true,
  });
  // The policy callers attach allows invoking the signed routes only.
  const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))[0] as any;
  const statement = policy.Properties.PolicyDocument.Statement[0];
  assert.equal(statement.Action, 'execute-api:Invoke');
  assert.equal(statement.Resource.length, 9);
  assert.ok(!JSON.stringify(statement.Resource).includes('slack'));
});

test('tables, buckets and the queue are encrypted; tables keep point-in-time recovery; buckets refuse plain HTTP', () => {
  const { template } = synth('prod');
  const tables = template.findResources('AWS::DynamoDB::GlobalTable');
  assert.equal(Object.keys(tables).length, 5);
  for (const table of Object.values(tables) as any[]) {
    assert.equal(table.Properties.SSESpecification.SSEEnabled, true);
    assert.equal(table.Properties.Replicas[0].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true);
    assert.equal(table.Properties.TimeToLiveSpecification.AttributeName, 'expires_at');
    assert.equal(table.DeletionPolicy, 'Retain', 'prod keeps its data');
  }
  for (const bucket of Object.values(template.findResources('AWS::S3::Bucket')) as any[]) {
    assert.ok(bucket.Properties.BucketEncryption, 'encrypted');
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.ok(bucket.Properties.LifecycleConfiguration, 'a lifecycle');
  }
  for (const policy of Object.values(template.findResources('AWS::S3::BucketPolicy')) as any[]) {
    assert.ok(JSON.stringify(policy).includes('"aws:SecureTransport":"false"'), 'SSL only');
  }
  template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  template.hasResourceProperties('AWS::Athena::WorkGroup', {
    WorkGroupConfiguration: Match.objectLike({ EnforceWorkGroupConfiguration: true, BytesScannedCutoffPerQuery: 1_000_000_000 }),
  });
});

test('dev data is disposable; every log group keeps its environment’s retention', () => {
  const days: Record<string, number> = { dev: 7, stage: 30, prod: 90 };
  for (const env of ENVS) {
    const { template } = synth(env);
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as any[];
    assert.ok(groups.length >= FUNCTIONS.length + 2);
    for (const group of groups) {
      assert.equal(group.Properties.RetentionInDays, days[env], `${env}: ${JSON.stringify(group.Properties)}`);
    }
  }
  const { template } = synth('dev');
  for (const table of Object.values(template.findResources('AWS::DynamoDB::GlobalTable')) as any[]) {
    assert.equal(table.DeletionPolicy, 'Delete');
  }
});

test('the pipeline: arm64 custom-runtime functions with JSON logs, a logged and traced state machine, alarms routed to itself', () => {
  const { template } = synth('stage');
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function')) as any[]) {
    assert.deepEqual(fn.Properties.Architectures, ['arm64']);
    assert.equal(fn.Properties.Runtime, 'provided.al2023');
    assert.equal(fn.Properties.Handler, 'bootstrap');
    assert.equal(fn.Properties.LoggingConfig.LogFormat, 'JSON');
    assert.equal(fn.Properties.TracingConfig.Mode, 'Active');
  }
  template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
    LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    TracingConfiguration: { Enabled: true },
  });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change'] },
    Targets: Match.arrayWith([
      Match.objectLike({
        DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      }),
    ]),
  });
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
  assert.deepEqual(
    alarms.map((a) => a.Properties.AlarmName).sort(),
    ['ApiFunctionErrors', 'ApprovalBacklog', 'DeadLetterQueue', 'FailedExecutions', 'LambdaErrors', 'LambdaThrottles'].map((n) => `incident-responder-stage-${n}`),
  );
  for (const alarm of alarms) {
    assert.ok(JSON.stringify(alarm.Properties.Tags).includes('incident-responder'), 'routing tags for its own pipeline');
  }
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  template.resourceCountIs('AWS::SecretsManager::Secret', 3);
});

test('each environment’s template is written for cfn-lint', () => {
  const dir = path.join(import.meta.dirname, '..', 'cdk.out.test');
  fs.mkdirSync(dir, { recursive: true });
  for (const env of ENVS) {
    const file = path.join(dir, `IncidentResponder-${env}.template.json`);
    fs.writeFileSync(file, JSON.stringify(synth(env).json, null, 1));
    assert.ok(fs.statSync(file).size > 10_000);
  }
});

test('source CIDRs add a resource policy that refuses other addresses; an SES sender adds e-mail to Deliver only', () => {
  const app = new App({ context: { assets: standInAssets() } });
  const config = { ...ENVIRONMENTS.prod, allowedSourceCidrs: ['203.0.113.0/24'], email: { from: 'oncall@example.com', to: ['sre@example.com'] } };
  const stack = new IncidentResponderStack(app, 'Restricted', { config, assetsDir: app.node.tryGetContext('assets') });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::ApiGateway::RestApi', {
    Policy: Match.objectLike({
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24'] } } }),
      ]),
    }),
  });
  const withEmail = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (fn: any) => fn.Properties.Environment?.Variables?.EMAIL_FROM === 'oncall@example.com',
  );
  assert.equal(withEmail.length, 1);
  const ses = statements(template.toJSON()).filter(({ statement }) => actions(statement).includes('ses:SendEmail'));
  assert.equal(ses.length, 1);
  assert.ok(JSON.stringify(ses[0]!.statement.Resource).includes(':identity/example.com'));
});

test('Slack approvers reach the API function only, as the JSON it reads', () => {
  const app = new App({ context: { assets: standInAssets() } });
  const slackApprovers = { users: ['U0ONCALL'], groups: ['S0SRE'], severity: { CRITICAL: { users: ['U0LEAD'] } } };
  const config = { ...ENVIRONMENTS.prod, slackApprovers };
  const stack = new IncidentResponderStack(app, 'Approvers', { config, assetsDir: app.node.tryGetContext('assets') });
  const withApprovers = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(
    (fn: any) => fn.Properties.Environment?.Variables?.SLACK_APPROVERS !== undefined,
  ) as any[];
  assert.equal(withApprovers.length, 1);
  assert.ok(String(withApprovers[0].Properties.Description).startsWith('incident-responder api '));
  assert.deepEqual(JSON.parse(withApprovers[0].Properties.Environment.Variables.SLACK_APPROVERS), slackApprovers);
});

test('only the API function, behind the REST API, has lambda_http take the stage off the path', () => {
  const app = new App({ context: { assets: standInAssets() } });
  const stack = new IncidentResponderStack(app, 'Stage', { config: ENVIRONMENTS.prod, assetsDir: app.node.tryGetContext('assets') });
  const ignoring = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(
    (fn: any) => fn.Properties.Environment?.Variables?.AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH !== undefined,
  ) as any[];
  assert.equal(ignoring.length, 1);
  assert.ok(String(ignoring[0].Properties.Description).startsWith('incident-responder api '));
  // `crates/aws/src/api/config.rs` refuses to start without it.
  assert.equal(ignoring[0].Properties.Environment.Variables.AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH, 'true');
});

test('synthesis before `make package` says to run it first, naming what is missing', () => {
  // GIVEN an assets folder with no packages, and one missing only the API's
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'responder-cdk-empty-'));
  const partial = standInAssets();
  fs.rmSync(path.join(partial, 'api'), { recursive: true });

  // WHEN the app is built over each, THEN it refuses with what to run
  assert.throws(() => build(new App({ context: { assets: empty } })), (error: Error) => {
    assert.ok(error instanceof MissingPackages);
    assert.match(error.message, /does not hold any function package: run `make package` first/);
    return true;
  });
  assert.throws(() => build(new App({ context: { assets: partial } })), /api\/bootstrap\.zip: run `make package` first/);
});
