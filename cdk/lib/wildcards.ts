/**
 * cdk-nag's IAM5 reports every wildcard in a policy. Each one here is
 * acknowledged only when it is one of the kinds this app means to write,
 * with that kind's reason; any other wildcard (above all a wildcard action)
 * stays a finding and fails the synthesis.
 */
import { type IAspect, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagRuleCompliance, rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** A region or account: a token until `cdk synth` knows the account. */
const REGION = String.raw`(<AWS::Region>|[a-z]{2}(-[a-z]+)+-\d)`;
const ACCOUNT = String.raw`(<AWS::AccountId>|\d{12})`;

/** The wildcard resources this app writes, and why each is needed. */
export const WILDCARD_REASONS: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^Resource::\*$/,
    reason: 'X-Ray, Logs Insights query results and Step Functions log delivery actions take no resource ARN.',
  },
  {
    pattern: /^Resource::<\w+\.Arn>\/(outbox|incidents|reports|results)\/\*$/,
    reason: 'The objects under one prefix of one of our own buckets.',
  },
  { pattern: /^Resource::<\w+\.Arn>\/index\/\*$/, reason: "The incidents table's own indexes (by_status)." },
  { pattern: /^Resource::<\w+\.Arn>:\*$/, reason: 'The versions and aliases of our own task functions, for lambda:InvokeFunction.' },
  { pattern: new RegExp(`^Resource::arn:<AWS::Partition>:logs:${REGION}:${ACCOUNT}:log-group:[^*]+\\*$`), reason: 'The log groups of the configured name patterns (logGroupPatterns), for Logs Insights.' },
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
      const known = WILDCARD_REASONS.find(({ pattern }) => pattern.test(finding));
      if (known) {
        Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: known.reason });
      }
    }
  }
}
