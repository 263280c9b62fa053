/**
 * cdk-nag's IAM5 reports every wildcard in a policy. Each one here is
 * acknowledged only when it is one of the kinds this app means to write,
 * with that kind's reason; any other wildcard (above all a wildcard action)
 * stays a finding and fails the synthesis. A policy's `*` resource is
 * acknowledged only when every action it grants on `*` is listed below
 * (each takes no resource ARN), with those actions' reasons.
 */
import { type IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagRuleCompliance, rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** A region or account: a token until `cdk synth` knows the account. */
const REGION = String.raw`(<AWS::Region>|[a-z]{2}(-[a-z]+)+-\d)`;
const ACCOUNT = String.raw`(<AWS::AccountId>|\d{12})`;

/** The actions granted on `*`, and why: none of them takes a resource ARN. */
export const ACTIONS_ON_ANY_RESOURCE: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': "X-Ray's tracing actions take no resource ARN.",
  'xray:PutTelemetryRecords': "X-Ray's tracing actions take no resource ARN.",
  'xray:GetSamplingRules': "X-Ray's tracing actions take no resource ARN.",
  'xray:GetSamplingTargets': "X-Ray's tracing actions take no resource ARN.",
  'logs:GetQueryResults': 'Logs Insights query results are reached by query id, not by a resource ARN.',
  'logs:StopQuery': 'Logs Insights query results are reached by query id, not by a resource ARN.',
  'logs:CreateLogDelivery': 'Step Functions log delivery actions take no resource ARN.',
  'logs:GetLogDelivery': 'Step Functions log delivery actions take no resource ARN.',
  'logs:UpdateLogDelivery': 'Step Functions log delivery actions take no resource ARN.',
  'logs:DeleteLogDelivery': 'Step Functions log delivery actions take no resource ARN.',
  'logs:ListLogDeliveries': 'Step Functions log delivery actions take no resource ARN.',
  'logs:PutResourcePolicy': 'Step Functions log delivery actions take no resource ARN.',
  'logs:DescribeResourcePolicies': 'Step Functions log delivery actions take no resource ARN.',
  'logs:DescribeLogGroups': 'Step Functions log delivery actions take no resource ARN.',
  'cloudtrail:LookupEvents': 'cloudtrail:LookupEvents supports no resource-level permissions.',
  'lambda:ListEventSourceMappings': 'lambda:ListEventSourceMappings supports no resource-level permissions (discovery reads the mappings of a function or a queue).',
  'elasticloadbalancing:DescribeTargetGroups': 'elasticloadbalancing:Describe* actions support no resource-level permissions (discovery reads the targets behind a load balancer).',
  'elasticloadbalancing:DescribeTargetHealth': 'elasticloadbalancing:Describe* actions support no resource-level permissions (discovery reads the targets behind a load balancer).',
  'ecs:DescribeTaskDefinition': "ecs:DescribeTaskDefinition supports no resource-level permissions (discovery reads a service's log configuration).",
  'tag:GetResources': "tag:GetResources supports no resource-level permissions (discovery reads the resources sharing the alarm's service tag).",
};

/** The wildcard resources this app writes, and why each is needed. */
export const WILDCARD_REASONS: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^Resource::<\w+\.Arn>\/(outbox|incidents|reports|results)\/\*$/,
    reason: 'The objects under one prefix of one of our own buckets.',
  },
  { pattern: /^Resource::<\w+\.Arn>\/index\/\*$/, reason: "The incidents table's own indexes (by_status)." },
  { pattern: /^Resource::<\w+\.Arn>:\*$/, reason: 'The versions and aliases of our own task functions, for lambda:InvokeFunction.' },
  { pattern: new RegExp(`^Resource::arn:<AWS::Partition>:logs:${REGION}:${ACCOUNT}:log-group:[^*]+\\*.*$`), reason: 'The log groups of the configured name patterns (logGroupPatterns, discovery prefixes and agent groups), for Logs Insights.' },
  { pattern: new RegExp(`^Resource::arn:<AWS::Partition>:logs:${REGION}:${ACCOUNT}:log-group:\\*$`), reason: "logs:DescribeLogGroups lists groups: its narrowest resource is every group of the account and region (discovery's read-only listings and existence check)." },
  { pattern: new RegExp(`^Resource::arn:<AWS::Partition>:lambda:${REGION}:${ACCOUNT}:function:\\*$`), reason: "lambda:GetFunctionConfiguration of the functions an alarm leads to, which may be any of the account's (read-only)." },
  { pattern: new RegExp(`^Resource::arn:<AWS::Partition>:apigateway:${REGION}::/(restapis|apis)/\\*/(stages|stages/\\*|resources|integrations)$`), reason: 'apigateway:GET of the stages, resources and integrations of the API an alarm names, which may be any (read-only).' },
  { pattern: new RegExp(`^Resource::arn:<AWS::Partition>:ecs:${REGION}:${ACCOUNT}:service/\\*$`), reason: 'ecs:DescribeServices of the service an alarm names, in any cluster (read-only).' },
  { pattern: new RegExp(`^Resource::arn:<AWS::Partition>:states:${REGION}:${ACCOUNT}:execution:incident-response-\\w+:\\*$`), reason: 'The executions of our own state machine.' },
  { pattern: /^Resource::arn:<AWS::Partition>:execute-api:.*\/\*$/, reason: 'A route with a path parameter (/tools/{name}).' },
];

export class AcknowledgeKnownWildcards implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy)) {
      return;
    }
    const findings = rules.iam.IAMNoWildcardPermissions(node);
    if (findings === NagRuleCompliance.COMPLIANT || !Array.isArray(findings)) {
      return;
    }
    for (const finding of findings) {
      const reason = finding === 'Resource::*' ? onAnyResource(node) : WILDCARD_REASONS.find(({ pattern }) => pattern.test(finding))?.reason;
      if (reason) {
        Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
      }
    }
  }
}

/**
 * Why `policy` grants its actions on `*`: the reasons of every such action,
 * or nothing when one of them is not known to take no resource ARN.
 */
function onAnyResource(policy: iam.CfnPolicy | iam.CfnManagedPolicy): string | undefined {
  const document = Stack.of(policy).resolve(policy.policyDocument) as { Statement?: { Action: unknown; Resource: unknown }[] };
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
  const actions = (document.Statement ?? [])
    .filter((statement) => list(statement.Resource).includes('*'))
    .flatMap((statement) => list(statement.Action).map(String));
  const reasons = actions.map((action) => ACTIONS_ON_ANY_RESOURCE[action]);
  if (actions.length === 0 || reasons.some((reason) => reason === undefined)) {
    return undefined;
  }
  return [...new Set(reasons)].join(' ');
}
