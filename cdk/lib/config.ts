/**
 * The typed configuration of each environment, chosen with `-c env=dev|stage|prod`.
 * Everything that differs between environments is here; everything else is
 * the same code.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export type EnvName = 'dev' | 'stage' | 'prod';

export interface EnvConfig {
  readonly name: EnvName;
  /** Lambda memory in MB, and the task functions' timeout. */
  readonly memoryMb: number;
  readonly functionTimeout: Duration;
  /** The API function answers the gateway within its 29 s limit. */
  readonly apiTimeout: Duration;
  /** How long an approval waits, by severity, in seconds (RESPONDER_POLICY). */
  readonly approvalTimeoutSeconds: Record<'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW', number>;
  /** What an approval that times out does: deliver (marked not reviewed) or suppress. */
  readonly timeoutPolicy: 'deliver' | 'suppress';
  readonly logRetention: RetentionDays;
  /** Tables and buckets: RETAIN in prod, DESTROY where data is disposable. */
  readonly removalPolicy: RemovalPolicy;
  readonly bedrockModelId: string;
  /** The Athena workgroup's cutoff: a query scanning more is cancelled. */
  readonly athenaBytesScannedCutoff: number;
  /** Archive objects move to infrequent access, then expire. */
  readonly archiveInfrequentAccessAfter: Duration;
  readonly archiveExpiration: Duration;
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Optional: the API accepts calls from these source CIDRs only (a resource policy). */
  readonly allowedSourceCidrs: readonly string[];
  /** Log groups Logs Insights may read, as name patterns (`/aws/lambda/*`). */
  readonly logGroupPatterns: readonly string[];
  /**
   * Discovery of the resources around an alarm (QueryLogs, docs/discovery.md):
   * name prefixes every incident may read (at most 5, as Logs Insights'
   * `logGroups(namePrefix: [...])`), the CloudWatch agent's groups of EC2
   * instances (`{instance_id}` for the instance, a final `*` for a prefix),
   * and its bounds per incident. Prefixes and agent groups are readable too.
   */
  readonly discovery: {
    readonly prefixes: readonly string[];
    readonly ec2Patterns: readonly string[];
    readonly maxCalls: number;
    readonly deadlineSeconds: number;
  };
  /** The alarms that watch the system itself. */
  readonly alarms: {
    readonly failedExecutions: number;
    readonly deadLetterMessages: number;
    readonly lambdaErrors: number;
    readonly lambdaThrottles: number;
    /** Approvals waiting at once. */
    readonly approvalBacklog: number;
  };
  /** E-mail through SES: the verified sender and the recipients (none: the S3 outbox). */
  readonly email?: { readonly from: string; readonly to: readonly string[] };
  /**
   * Who may press Approve and Reject in Slack: user ids, user-group ids
   * (read with the bot token), and per severity. Nobody when absent.
   */
  readonly slackApprovers?: SlackApprovers;
}

export interface ApproverList {
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
}

export interface SlackApprovers extends ApproverList {
  readonly severity?: Partial<Record<'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW', ApproverList>>;
}

const common = {
  memoryMb: 256,
  functionTimeout: Duration.seconds(30),
  apiTimeout: Duration.seconds(28),
  bedrockModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
  athenaBytesScannedCutoff: 1_000_000_000,
  archiveInfrequentAccessAfter: Duration.days(30),
  allowedSourceCidrs: [],
  // RDS exports and state machine logs are where discovery finds them.
  logGroupPatterns: ['/aws/lambda/*', '/aws/ecs/*', '/ecs/*', 'API-Gateway-Execution-Logs_*', '/aws/rds/*', '/aws/vendedlogs/states/*'],
  discovery: { prefixes: [], ec2Patterns: [], maxCalls: 30, deadlineSeconds: 8 },
} as const;

export const ENVIRONMENTS: Record<EnvName, EnvConfig> = {
  dev: {
    ...common,
    name: 'dev',
    approvalTimeoutSeconds: { CRITICAL: 900, HIGH: 1800, MEDIUM: 3600, LOW: 3600 },
    timeoutPolicy: 'deliver',
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    archiveExpiration: Duration.days(90),
    apiThrottle: { rateLimit: 10, burstLimit: 20 },
    alarms: { failedExecutions: 1, deadLetterMessages: 1, lambdaErrors: 5, lambdaThrottles: 5, approvalBacklog: 20 },
  },
  stage: {
    ...common,
    name: 'stage',
    approvalTimeoutSeconds: { CRITICAL: 900, HIGH: 3600, MEDIUM: 14400, LOW: 86400 },
    timeoutPolicy: 'deliver',
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    archiveExpiration: Duration.days(365),
    apiThrottle: { rateLimit: 20, burstLimit: 40 },
    alarms: { failedExecutions: 1, deadLetterMessages: 1, lambdaErrors: 3, lambdaThrottles: 3, approvalBacklog: 20 },
  },
  prod: {
    ...common,
    name: 'prod',
    memoryMb: 512,
    approvalTimeoutSeconds: { CRITICAL: 900, HIGH: 3600, MEDIUM: 14400, LOW: 86400 },
    timeoutPolicy: 'deliver',
    logRetention: RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    archiveExpiration: Duration.days(730),
    apiThrottle: { rateLimit: 50, burstLimit: 100 },
    alarms: { failedExecutions: 1, deadLetterMessages: 1, lambdaErrors: 1, lambdaThrottles: 1, approvalBacklog: 10 },
  },
};

/** The configuration of `name`, or an error that lists the valid names. */
export function envConfig(name: unknown): EnvConfig {
  if (typeof name === 'string' && name in ENVIRONMENTS) {
    return ENVIRONMENTS[name as EnvName];
  }
  throw new Error(`-c env=${String(name)} is not an environment; expected one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
}
