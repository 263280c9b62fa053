//! The AWS adapters of incident-responder: DynamoDB, Athena, CloudWatch
//! Logs Insights (with the discovery of the resources around an alarm),
//! CloudTrail, Bedrock Runtime, S3, SES v2 and Step Functions behind the
//! ports of `responder-workflow`, plus the configuration the functions read
//! once from their environment and CloudWatch Embedded Metric Format.

//!
//! One cargo feature per adapter, so that each function compiles only the
//! SDK clients it calls: `dynamodb`, `athena`, `logs` (Logs Insights and
//! discovery), `cloudtrail`, `bedrock`, `s3`, `ses`, `secrets`, `sfn`,
//! `notifier` (Slack, Jira, SES and the S3 outbox) and `api` (the API's
//! backend); `full` is all of them, the default for tests and tools.
//! Without any, the crate is the configuration and the metrics.

#[cfg(feature = "api")]
pub mod api;
#[cfg(feature = "athena")]
pub mod athena;
#[cfg(feature = "bedrock")]
pub mod bedrock;
#[cfg(feature = "cloudtrail")]
pub mod cloudtrail;
pub mod config;
#[cfg(feature = "logs")]
pub mod discovery;
#[cfg(feature = "bedrock")]
pub mod document;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "sdk")]
pub mod error;
#[cfg(feature = "logs")]
pub mod logs_insights;
pub mod metrics;
#[cfg(feature = "notifier")]
pub mod notifier;
pub mod poll;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "sdk")]
pub mod sdk;
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "sfn")]
pub mod sfn;
