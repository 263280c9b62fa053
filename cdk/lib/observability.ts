/**
 * Observability: a dashboard, and alarms on what makes the system fail its
 * users. The alarms are ordinary CloudWatch alarms in the same account, so
 * their state changes reach the alarm rule and run through the pipeline
 * itself: the system pages about itself the way it pages about anything
 * else (tagged `service=incident-responder`). docs/operations.md says what
 * to do about each.
 */
import { Duration, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import type { EnvConfig } from './config.js';

export interface ObservabilityProps {
  readonly config: EnvConfig;
  readonly stateMachine: sfn.StateMachine;
  readonly deadLetterQueue: sqs.Queue;
  readonly functions: Record<string, lambda.Function>;
}

/** The most metrics CloudWatch lets one metric-math alarm read. */
const MAX_ALARM_METRICS = 10;

/** The EMF namespace of `crates/aws/src/metrics.rs`. */
const NAMESPACE = 'IncidentResponder';

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { config } = props;
    const prefix = `incident-responder-${config.name}`;
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: `${description} See docs/operations.md#${name.toLowerCase()}.`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      // Routing tags, read by the normalizer like any alarm's.
      Tags.of(created).add('service', 'incident-responder');
      Tags.of(created).add('team', 'platform');
      this.alarms.push(created);
      return created;
    };

    const failed = props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' });
    alarm('FailedExecutions', failed, config.alarms.failedExecutions, 'Incident-response executions failed: alerts may not have been handled.');
    const dlq = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' });
    alarm('DeadLetterQueue', dlq, config.alarms.deadLetterMessages, 'Alarm events could not start the workflow and wait in the dead-letter queue.');

    // A metric-math alarm sums at most 10 metrics: the workflow's task
    // functions (one per Task state) share one alarm each for errors and
    // throttles, the API function has its own.
    const { api, ...tasks } = props.functions;
    const fns = Object.values(tasks);
    if (fns.length > MAX_ALARM_METRICS) {
      throw new Error(`LambdaErrors would sum ${fns.length} functions; a metric-math alarm takes at most ${MAX_ALARM_METRICS}: split it`);
    }
    const sumOf = (id: string, metric: (fn: lambda.Function) => cloudwatch.Metric, label: string) =>
      new cloudwatch.MathExpression({
        expression: fns.map((_, i) => `${id}${i}`).join(' + '),
        usingMetrics: Object.fromEntries(fns.map((fn, i) => [`${id}${i}`, metric(fn)])),
        label,
        period: Duration.minutes(5),
      });
    const errors = sumOf('errors', (fn) => fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 'Lambda errors');
    const throttles = sumOf('throttles', (fn) => fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 'Lambda throttles');
    alarm('LambdaErrors', errors, config.alarms.lambdaErrors, "The workflow's functions of incident-responder fail.");
    alarm('LambdaThrottles', throttles, config.alarms.lambdaThrottles, "The workflow's functions of incident-responder are throttled.");
    const apiFailures = api
      ? new cloudwatch.MathExpression({
          expression: 'errors + throttles',
          usingMetrics: {
            errors: api.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
            throttles: api.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
          },
          label: 'API function errors and throttles',
          period: Duration.minutes(5),
        })
      : undefined;
    if (apiFailures) {
      alarm('ApiFunctionErrors', apiFailures, config.alarms.lambdaErrors, 'The API function of incident-responder fails or is throttled.');
    }

    // Approvals asked and not yet decided over the last day: requests minus
    // the outcomes that follow a decision (delivered or suppressed).
    const daily = (metricName: string, dimensionsMap: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap, statistic: 'Sum', period: Duration.days(1) });
    const backlog = new cloudwatch.MathExpression({
      expression: 'FILL(requested, 0) - FILL(recorded, 0) - FILL(suppressed, 0)',
      usingMetrics: {
        requested: daily('ApprovalsRequested', { Channel: 'approvals' }),
        recorded: daily('Outcomes', { Outcome: 'RECORDED' }),
        suppressed: daily('Outcomes', { Outcome: 'SUPPRESSED' }),
      },
      label: 'Approvals waiting',
      period: Duration.days(1),
    });
    alarm('ApprovalBacklog', backlog, config.alarms.approvalBacklog, 'Approvals are waiting for a decision.');

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Executions',
            left: [
              props.stateMachine.metricStarted({ period: Duration.minutes(5) }),
              props.stateMachine.metricSucceeded({ period: Duration.minutes(5) }),
              failed,
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Alerts by disposition',
            left: ['NEW', 'DUPLICATE', 'REPEAT', 'RECOVERY'].map(
              (d) => new cloudwatch.MathExpression({ expression: `SUM(SEARCH('{${NAMESPACE},Source,Disposition} Disposition="${d}" MetricName="AlertsProcessed"', 'Sum', 300))`, label: d, period: Duration.minutes(5) }),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Lambda errors and throttles', left: [errors, throttles, ...(apiFailures ? [apiFailures] : [])] }),
          new cloudwatch.GraphWidget({ title: 'Approvals waiting', left: [backlog] }),
          new cloudwatch.SingleValueWidget({ title: 'Dead-letter queue', metrics: [dlq] }),
        ],
      ],
    });
  }
}
