//! One SDK configuration per function, loaded once. Retries: the SDK's
//! standard mode with 3 attempts for the stores (cheap, idempotent calls);
//! Bedrock gets 1 (no SDK retry), because `BedrockAnalyzer` retries
//! throttling itself and the state machine retries the task: the three
//! would multiply.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// One attempt: for clients whose caller retries.
pub fn no_sdk_retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(1)
}

/// A Bedrock Runtime client without SDK retries.
pub fn bedrock_client(sdk: &SdkConfig) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::config::Builder::from(sdk)
        .retry_config(no_sdk_retries())
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}
