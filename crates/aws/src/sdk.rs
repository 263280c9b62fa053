//! One SDK configuration per function, loaded once. One retry layer per
//! call: the SDK makes one attempt, and the state machine retries a task's
//! transient errors (`Store.Transient`, `Analyzer.Throttled`, ...). Each
//! call is bounded, so a task's calls fit in its budget
//! (`responder_workflow::budget`): [`STORE_CALL_TIMEOUT`] for the stores,
//! the Bedrock call's own timeout for Converse.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// The most one call to DynamoDB, S3, SES, Step Functions, Athena or Logs
/// takes, connection included.
pub const STORE_CALL_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts(STORE_CALL_TIMEOUT))
        .load()
        .await
}

/// Calls bounded by `each`, connecting within 2 s.
pub fn timeouts(each: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_timeout(each)
        .build()
}

#[cfg(feature = "bedrock")]
/// A Bedrock Runtime client without SDK retries, its calls bounded by
/// `timeout` (a model answer takes far longer than a store's).
pub fn bedrock_client(sdk: &SdkConfig, timeout: Duration) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::config::Builder::from(sdk)
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts(timeout))
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}
