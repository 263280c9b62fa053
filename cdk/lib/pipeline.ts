/**
 * The pipeline: one Lambda function per crate in `functions/` (arm64,
 * provided.al2023, JSON logs, X-Ray, a role of its own with exactly what it
 * needs), the state machine from `statemachine/incident-response.asl.json`,
 * and the EventBridge rule that starts it for every alarm state change,
 * with retries and a dead-letter queue.
 */
import * as path from 'node:path';

import { Arn, ArnFormat, Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import type { EnvConfig } from './config.js';
import { discoveryEnvironment, discoveryStatements, readablePatterns } from './discovery.js';
import { FUNCTIONS, type FunctionSpec, type TableName } from './functions.js';
import type { Secrets } from './secrets.js';
import type { Storage } from './storage.js';

export const ASL_FILE = path.join(import.meta.dirname, '..', '..', 'statemachine', 'incident-response.asl.json');

export interface PipelineProps {
  readonly config: EnvConfig;
  readonly storage: Storage;
  readonly secrets: Secrets;
  /** The folder holding `<crate>/bootstrap.zip` (`make package` writes `target/lambda`). */
  readonly assetsDir: string;
}

export class Pipeline extends Construct {
  readonly functions: Record<string, lambda.Function>;
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;
  /** ASL placeholder → function ARN: `definitionSubstitutions`. */
  readonly substitutions: Record<string, string>;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { config } = props;
    const stateMachineName = `incident-response-${config.name}`;
    const stateMachineArn = Arn.format(
      { service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
      Stack.of(this),
    );

    this.functions = {};
    this.substitutions = {};
    for (const spec of FUNCTIONS) {
      const fn = this.lambdaFunction(spec, props, stateMachineName, stateMachineArn);
      this.functions[spec.crate] = fn;
      if (spec.substitution) {
        this.substitutions[spec.substitution] = fn.functionArn;
      }
    }

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(ASL_FILE),
      definitionSubstitutions: this.substitutions,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // The definition is a file: CDK cannot see which functions it calls.
    for (const spec of FUNCTIONS.filter((s) => s.substitution)) {
      this.functions[spec.crate]!.grantInvoke(this.stateMachine);
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `incident-responder-${config.name}-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the alarm rule; it has none of its own.',
    });
    this.rule = new events.Rule(this, 'AlarmRule', {
      description: 'Every CloudWatch alarm state change starts the incident-response workflow.',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change', 'CloudWatch Alarm Contributor State Change'],
      },
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }

  private lambdaFunction(spec: FunctionSpec, props: PipelineProps, stateMachineName: string, stateMachineArn: string): lambda.Function {
    const { config, storage, secrets } = props;
    const needs = spec.needs;
    const id = spec.crate.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
    const functionName = `incident-responder-${config.name}-${spec.crate}`;
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `incident-responder ${spec.crate}: its own logs and what crates/aws needs for it`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}`] }),
    );

    const environment: Record<string, string> = { RUST_LOG: 'info' };
    const tables = Object.entries(needs.tables ?? {}) as [TableName, string[]][];
    if (tables.length > 0) {
      // The store reads all five names; the role allows only what is listed.
      for (const [name, table] of Object.entries(storage.tables)) {
        environment[`${name.toUpperCase()}_TABLE`] = table.tableName;
      }
      for (const [name, actions] of tables) {
        const table = storage.tables[name];
        const resources = actions.includes('dynamodb:Query') ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn];
        role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
      }
    }
    if (needs.archiveRead?.length || needs.archiveWrite?.length) {
      environment.ARCHIVE_BUCKET = storage.archive.bucketName;
    }
    if (needs.archiveRead?.length) {
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: needs.archiveRead.map((p) => storage.archive.arnForObjects(p)) }),
      );
    }
    if (needs.archiveWrite?.length) {
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: needs.archiveWrite.map((p) => storage.archive.arnForObjects(p)) }),
      );
    }
    if (needs.athena) {
      environment.ATHENA_WORKGROUP = storage.workgroup.name;
      environment.ATHENA_DATABASE = storage.database.ref;
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
          resources: [storage.workgroupArn()],
        }),
      );
      role.addToPolicy(new iam.PolicyStatement({ actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'], resources: storage.glueArns() }));
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket'],
          resources: [storage.archive.bucketArn, storage.athenaResults.bucketArn],
        }),
      );
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [storage.archive.arnForObjects('incidents/*')] }));
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [storage.athenaResults.arnForObjects('results/*')],
        }),
      );
    }
    if (needs.logsInsights) {
      environment.LOG_GROUPS = '{}';
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['logs:StartQuery'],
          resources: readablePatterns(config).map((p) => `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${p}`),
        }),
      );
      // Query ids are not resources: these two take no resource ARN.
      role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:GetQueryResults', 'logs:StopQuery'], resources: ['*'] }));
    }
    if (needs.discovery) {
      Object.assign(environment, discoveryEnvironment(config));
      for (const statement of discoveryStatements()) {
        role.addToPolicy(statement);
      }
    }
    if (needs.cloudtrail) {
      // LookupEvents reads the account's management events: no resource ARN.
      role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudtrail:LookupEvents'], resources: ['*'] }));
    }
    if (needs.bedrock || needs.analyzerId) {
      environment.BEDROCK_MODEL_ID = config.bedrockModelId;
    }
    if (needs.bedrock) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['bedrock:InvokeModel'],
          resources: [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${config.bedrockModelId}`],
        }),
      );
    }
    if (needs.policy) {
      environment.RESPONDER_POLICY = JSON.stringify({
        approval_timeout_seconds: config.approvalTimeoutSeconds,
        timeout_policy: config.timeoutPolicy,
      });
    }
    if (needs.secrets?.length) {
      const used = needs.secrets.map((name) => secrets.secrets[name]);
      environment.SECRET_ARNS = used.map((s) => s.secretArn).join(',');
      // GetSecretValue only: `grantRead` adds DescribeSecret, which no
      // function calls (`make aws-local` lists it as unused).
      role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: used.map((s) => s.secretArn) }));
    }
    if (needs.email && config.email) {
      environment.EMAIL_FROM = config.email.from;
      environment.EMAIL_TO = config.email.to.join(',');
      const domain = config.email.from.replace(/^.*@/, '').replace(/>.*$/, '');
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [`arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:identity/${domain}`],
        }),
      );
    }
    if (needs.slackButtons && config.slackApprovers) {
      environment.SLACK_APPROVERS = JSON.stringify(config.slackApprovers);
    }
    if (needs.restApi) {
      // The routes are the same at every stage; the function refuses to start without it.
      environment.AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH = 'true';
    }
    if (needs.stepFunctions) {
      environment.STATE_MACHINE_ARN = stateMachineArn;
      const executions = Arn.format(
        { service: 'states', resource: 'execution', resourceName: `${stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
        Stack.of(this),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: [stateMachineArn],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [executions] }),
      );
    }

    const fn = new lambda.Function(this, id, {
      functionName,
      description: `incident-responder ${spec.crate} (${config.name})`,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(path.join(props.assetsDir, spec.crate, 'bootstrap.zip')),
      memorySize: config.memoryMb,
      timeout:
        spec.crate === 'api'
          ? config.apiTimeout
          : spec.timeoutSeconds
            ? Duration.seconds(spec.timeoutSeconds)
            : config.functionTimeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      environment,
    });
    return fn;
  }
}
