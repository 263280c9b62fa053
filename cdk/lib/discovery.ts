/**
 * What QueryLogs' discovery may read (`crates/aws/src/discovery`, one file
 * per service), each action as narrow as IAM lets it be: every action is a
 * read, and where the action takes a resource ARN the statement names the
 * kind of resource it reads. The alarm may name any resource of the account,
 * so names stay `*`; wildcards.ts says why for each.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

import type { EnvConfig } from './config.js';

/** Logs Insights' `logGroups(namePrefix: [...])` takes at most 5 prefixes; so does the function. */
export const MAX_PREFIXES = 5;
/** `crates/aws/src/discovery/ec2.rs`: each pattern may cost a call. */
export const MAX_EC2_PATTERNS = 5;

/**
 * The log groups the functions may query, as IAM name patterns: the
 * environment's patterns, its configured prefixes and its agent groups.
 * QueryLogs gets the same list (`LOG_GROUP_PATTERNS`) and leaves other
 * groups out, since Logs Insights refuses a whole query naming one of them.
 */
export function readablePatterns(config: EnvConfig): string[] {
  const { prefixes, ec2Patterns } = config.discovery;
  if (prefixes.length > MAX_PREFIXES) {
    throw new Error(`discovery.prefixes of ${config.name} holds ${prefixes.length} prefixes; Logs Insights takes at most ${MAX_PREFIXES}`);
  }
  if (ec2Patterns.length > MAX_EC2_PATTERNS) {
    throw new Error(`discovery.ec2Patterns of ${config.name} holds ${ec2Patterns.length} patterns; at most ${MAX_EC2_PATTERNS}`);
  }
  const patterns = [
    ...config.logGroupPatterns,
    ...prefixes.map((p) => `${p}*`),
    ...ec2Patterns.map((p) => p.replaceAll('{instance_id}', '*')),
  ];
  return [...new Set(patterns)];
}

/** The environment QueryLogs' discovery reads (`crates/aws/src/config.rs`). */
export function discoveryEnvironment(config: EnvConfig): Record<string, string> {
  const { prefixes, ec2Patterns, maxCalls, deadlineSeconds } = config.discovery;
  const environment: Record<string, string> = {
    LOG_GROUP_PATTERNS: readablePatterns(config).join(','),
    DISCOVERY_MAX_CALLS: String(maxCalls),
    DISCOVERY_DEADLINE_SECONDS: String(deadlineSeconds),
  };
  if (prefixes.length > 0) {
    environment.LOG_GROUP_PREFIXES = prefixes.join(',');
  }
  if (ec2Patterns.length > 0) {
    environment.EC2_LOG_GROUP_PATTERNS = ec2Patterns.join(',');
  }
  return environment;
}

/** The read-only statements of discovery. */
export function discoveryStatements(): iam.PolicyStatement[] {
  const account = `${Aws.REGION}:${Aws.ACCOUNT_ID}`;
  const apigateway = `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::`;
  return [
    // Groups by prefix, by name pattern and by name (the existence check):
    // a listing's narrowest resource is every group of the account.
    new iam.PolicyStatement({
      actions: ['logs:DescribeLogGroups'],
      resources: [`arn:${Aws.PARTITION}:logs:${account}:log-group:*`],
    }),
    // A function's log group (LoggingConfig), its state and dead-letter target.
    new iam.PolicyStatement({
      actions: ['lambda:GetFunctionConfiguration'],
      resources: [`arn:${Aws.PARTITION}:lambda:${account}:function:*`],
    }),
    // GetRestApis, GetStage(s), GetResources?embed=methods; HTTP APIs' GetStage(s), GetIntegrations.
    new iam.PolicyStatement({
      actions: ['apigateway:GET'],
      resources: [
        `${apigateway}/restapis`,
        `${apigateway}/restapis/*/stages`,
        `${apigateway}/restapis/*/stages/*`,
        `${apigateway}/restapis/*/resources`,
        `${apigateway}/apis/*/stages`,
        `${apigateway}/apis/*/stages/*`,
        `${apigateway}/apis/*/integrations`,
      ],
    }),
    new iam.PolicyStatement({
      actions: ['ecs:DescribeServices'],
      resources: [`arn:${Aws.PARTITION}:ecs:${account}:service/*`],
    }),
    // These take no resource ARN at all.
    new iam.PolicyStatement({
      actions: [
        'lambda:ListEventSourceMappings',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'ecs:DescribeTaskDefinition',
        'tag:GetResources',
      ],
      resources: ['*'],
    }),
  ];
}
