//! The AWS adapters of incident-responder: DynamoDB, Athena, CloudWatch
//! Logs Insights (with the discovery of the resources around an alarm),
//! CloudTrail, Bedrock Runtime, S3, SES v2 and Step Functions behind the
//! ports of `responder-workflow`, plus the configuration the functions read
//! once from their environment and CloudWatch Embedded Metric Format.

pub mod api;
pub mod athena;
pub mod bedrock;
pub mod cloudtrail;
pub mod config;
pub mod discovery;
pub mod document;
pub mod dynamodb;
pub mod error;
pub mod logs_insights;
pub mod metrics;
pub mod notifier;
pub mod poll;
pub mod s3;
pub mod sdk;
pub mod secrets;
pub mod ses;
pub mod sfn;
