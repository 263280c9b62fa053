/**
 * The Lambda functions, one per crate in `functions/`, and what each one
 * needs: its environment and the exact actions it may take on each table.
 * The lists follow the adapters in `crates/aws`: a call a function makes
 * that is not here fails with `Store.Rejected`, which is the point.
 */

/** The five tables of `crates/aws/src/dynamodb.rs`. */
export type TableName = 'incidents' | 'occurrences' | 'approvals' | 'cache' | 'idempotency';

/** What a function reads or writes, beyond its own logs. */
export interface FunctionNeeds {
  /** DynamoDB actions by table (`Query` also covers the table's indexes). */
  readonly tables?: Partial<Record<TableName, readonly string[]>>;
  /** Archive bucket prefixes it reads and writes. */
  readonly archiveRead?: readonly string[];
  readonly archiveWrite?: readonly string[];
  readonly athena?: boolean;
  readonly logsInsights?: boolean;
  /** Read-only calls that find the resources around an alarm (`crates/aws/src/discovery`). */
  readonly discovery?: boolean;
  /** CloudTrail `LookupEvents`: what changed before the alarm. */
  readonly cloudtrail?: boolean;
  readonly bedrock?: boolean;
  /** The model id only (the cache key names the analyzer). */
  readonly analyzerId?: boolean;
  readonly policy?: boolean;
  readonly secrets?: readonly ('slack' | 'jira' | 'api')[];
  readonly email?: boolean;
  /** Step Functions calls: the API starts executions and answers task tokens. */
  readonly stepFunctions?: boolean;
  /** Slack's buttons: who may press them (`slackApprovers` of the environment). */
  readonly slackButtons?: boolean;
  /**
   * Behind the REST API, whose events put the stage in front of the path:
   * `lambda_http` takes it off (`crates/aws/src/api/config.rs`).
   */
  readonly restApi?: boolean;
}

export interface FunctionSpec {
  /** The crate's folder name, the asset's folder under `target/lambda/`. */
  readonly crate: string;
  /** The ASL placeholder it fills (`${RegisterAlertFunctionArn}`), if a task. */
  readonly substitution?: string;
  readonly needs: FunctionNeeds;
  /**
   * The function's Lambda timeout, when its states allow it longer than the
   * environment's `functionTimeout`: at least the `TimeoutSeconds` of every
   * state that calls it (a test reads the ASL), so Lambda never cuts a task
   * short of its budget (`responder_workflow::budget`).
   */
  readonly timeoutSeconds?: number;
}

// No adapter issues a ConditionCheck (its transactions put and delete with
// conditions): `dynamodb:ConditionCheckItem` was granted and never called.
const INCIDENT_WRITES = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'];
const IDEMPOTENCY = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

export const FUNCTIONS: readonly FunctionSpec[] = [
  { crate: 'normalize-alert', substitution: 'NormalizeAlertFunctionArn', needs: {} },
  {
    crate: 'register-alert',
    substitution: 'RegisterAlertFunctionArn',
    needs: {
      tables: { incidents: INCIDENT_WRITES, occurrences: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
      policy: true,
    },
  },
  {
    crate: 'query-history',
    substitution: 'QueryHistoryFunctionArn',
    needs: { athena: true, policy: true, archiveRead: ['incidents/*'] },
    timeoutSeconds: 60,
  },
  { crate: 'query-logs', substitution: 'QueryLogsFunctionArn', needs: { logsInsights: true, discovery: true }, timeoutSeconds: 60 },
  { crate: 'query-changes', substitution: 'QueryChangesFunctionArn', needs: { cloudtrail: true, policy: true }, timeoutSeconds: 60 },
  { crate: 'check-cache', substitution: 'CheckCacheFunctionArn', needs: { tables: { cache: ['dynamodb:GetItem'] }, analyzerId: true } },
  {
    crate: 'analyze',
    substitution: 'AnalyzeFunctionArn',
    needs: { tables: { cache: ['dynamodb:PutItem'], incidents: ['dynamodb:PutItem'] }, bedrock: true, policy: true },
    timeoutSeconds: 120,
  },
  {
    crate: 'request-approval',
    substitution: 'RequestApprovalFunctionArn',
    needs: {
      tables: { approvals: ['dynamodb:PutItem'], incidents: INCIDENT_WRITES, idempotency: IDEMPOTENCY },
      archiveWrite: ['outbox/*'],
      policy: true,
      secrets: ['slack'],
    },
  },
  {
    crate: 'deliver',
    substitution: 'DeliverFunctionArn',
    needs: {
      tables: { incidents: ['dynamodb:GetItem', 'dynamodb:PutItem'], idempotency: IDEMPOTENCY },
      archiveWrite: ['outbox/*'],
      secrets: ['slack', 'jira'],
      email: true,
    },
  },
  {
    crate: 'record-outcome',
    substitution: 'RecordOutcomeFunctionArn',
    needs: {
      tables: { incidents: INCIDENT_WRITES, cache: ['dynamodb:DeleteItem'] },
      archiveWrite: ['incidents/*', 'reports/*'],
      analyzerId: true,
    },
  },
  {
    crate: 'api',
    needs: {
      tables: {
        incidents: [...INCIDENT_WRITES, 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
        approvals: ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        cache: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      },
      archiveRead: ['reports/*', 'incidents/*'],
      athena: true,
      logsInsights: true,
      bedrock: true,
      policy: true,
      secrets: ['slack', 'api'],
      stepFunctions: true,
      slackButtons: true,
      restApi: true,
    },
  },
];
