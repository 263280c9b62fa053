/**
 * Storage: the DynamoDB tables, the archive and Athena results buckets, the
 * Glue table over the archive and the Athena workgroup.
 */
import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import type { EnvConfig } from './config.js';
import type { TableName } from './functions.js';

/** Each table's partition key, as `crates/aws/src/dynamodb.rs` writes it. */
const PARTITION_KEYS: Record<TableName, string> = {
  incidents: 'id',
  occurrences: 'dedup_key',
  approvals: 'id',
  cache: 'key',
  idempotency: 'id',
};

/** The archive's Glue table: the columns of `ArchiveRecord`. */
export const HISTORY_TABLE = 'incident_history';
const HISTORY_COLUMNS: [string, string][] = [
  ['incident_id', 'string'],
  ['signature', 'string'],
  ['resource', 'string'],
  ['subject', 'string'],
  ['service', 'string'],
  ['opened_at', 'string'],
  ['resolved_at', 'string'],
  ['root_cause', 'string'],
  ['resolution', 'string'],
  ['time_to_recover_seconds', 'bigint'],
];

export class Storage extends Construct {
  readonly tables: Record<TableName, dynamodb.TableV2>;
  readonly archive: s3.Bucket;
  readonly athenaResults: s3.Bucket;
  readonly database: glue.CfnDatabase;
  readonly workgroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, config: EnvConfig) {
    super(scope, id);
    const tables = {} as Record<TableName, dynamodb.TableV2>;
    for (const [name, key] of Object.entries(PARTITION_KEYS) as [TableName, string][]) {
      tables[name] = new dynamodb.TableV2(this, `${name[0]!.toUpperCase()}${name.slice(1)}Table`, {
        partitionKey: { name: key, type: dynamodb.AttributeType.STRING },
        billing: dynamodb.Billing.onDemand(),
        encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        // Occurrences, cache entries, approvals and idempotency records carry
        // `expires_at`; DynamoDB deletes them late, so readers check it too.
        timeToLiveAttribute: 'expires_at',
        deletionProtection: config.name === 'prod',
        removalPolicy: config.removalPolicy,
        globalSecondaryIndexes:
          name === 'incidents'
            ? [
                {
                  indexName: 'by_status',
                  partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
                  sortKey: { name: 'opened_at', type: dynamodb.AttributeType.STRING },
                },
              ]
            : undefined,
      });
    }
    this.tables = tables;

    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: config.removalPolicy,
      autoDeleteObjects: false,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the other buckets; logging it into itself would loop.',
    });

    const bucket = (id: string, prefix: string, rules: s3.LifecycleRule[]) =>
      new s3.Bucket(this, id, {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: config.name === 'prod',
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: prefix,
        removalPolicy: config.removalPolicy,
        lifecycleRules: rules,
      });
    this.archive = bucket('ArchiveBucket', 'archive/', [
      {
        transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: config.archiveInfrequentAccessAfter }],
        expiration: config.archiveExpiration,
        noncurrentVersionExpiration: Duration.days(30),
      },
    ]);
    this.athenaResults = bucket('AthenaResultsBucket', 'athena-results/', [{ expiration: Duration.days(7) }]);

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: `incident_responder_${config.name}`, description: 'The incident archive of incident-responder.' },
    });
    // Partition projection on `dt`: new days are readable without crawlers
    // or MSCK REPAIR.
    const location = `s3://${this.archive.bucketName}/incidents/`;
    new glue.CfnTable(this, 'HistoryTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.database.ref,
      tableInput: {
        name: HISTORY_TABLE,
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'dt', type: 'string' }],
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2024-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${location}dt=\${dt}/`,
        },
        storageDescriptor: {
          location,
          columns: HISTORY_COLUMNS.map(([name, type]) => ({ name, type })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        },
      },
    });

    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `incident-responder-${config.name}`,
      description: 'The history queries of incident-responder.',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: config.athenaBytesScannedCutoff,
        resultConfiguration: {
          outputLocation: `s3://${this.athenaResults.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  /** The Glue ARNs a history query reads. */
  glueArns(): string[] {
    const base = `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}`;
    const db = this.database.ref;
    return [`${base}:catalog`, `${base}:database/${db}`, `${base}:table/${db}/${HISTORY_TABLE}`];
  }

  workgroupArn(): string {
    return `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/${this.workgroup.name}`;
  }
}
