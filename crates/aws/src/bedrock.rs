//! Bedrock Runtime `Converse` as the analyzer: the prompt of
//! `responder_core::analysis::prompt`, the answer forced through a tool
//! whose input schema is the analysis schema, `maxTokens` always set, the
//! answer checked before use, token usage and cost recorded. Throttling and
//! a model not ready are retried here with full jitter, a few times; the
//! SDK's own retries are off for this client (see `crate::sdk`), so they
//! do not multiply with these and the state machine's.

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput, InferenceConfiguration, Message,
    SpecificToolChoice, StopReason, SystemContentBlock, Tool, ToolChoice, ToolConfiguration,
    ToolInputSchema, ToolSpecification,
};
use responder_core::analysis::{AnalysisInput, ModelAnswer, prompt};
use responder_workflow::error::names;
use responder_workflow::ports::{Analyzed, Analyzer, AnalyzerId, Usage};
use responder_workflow::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::document::{to_document, to_value};
use crate::error::{Failure, Kind};

/// The tool the model must call: its input is the analysis.
pub const TOOL_NAME: &str = "record_incident_analysis";

/// Prices per 1,000 tokens, in USD (configuration: they change by model
/// and region).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    pub input_per_1k: f64,
    pub output_per_1k: f64,
}

impl Prices {
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input_per_1k + output_tokens as f64 * self.output_per_1k)
            / 1000.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BedrockSettings {
    /// A model id or an inference profile (ARN or id).
    pub model_id: String,
    pub max_tokens: i32,
    /// The prompt's token budget; the context is cut to fit.
    pub token_budget: usize,
    pub prices: Prices,
    /// Attempts on ThrottlingException / ModelNotReadyException.
    /// The most one Converse call may take (the SDK's operation timeout).
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct BedrockAnalyzer {
    client: Client,
    settings: BedrockSettings,
}

impl BedrockAnalyzer {
    pub fn new(client: Client, settings: BedrockSettings) -> Self {
        Self { client, settings }
    }

    /// With SDK retries off and the call bounded (see `crate::sdk`).
    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &crate::config::Env) -> Result<Self> {
        let settings = env.bedrock()?;
        Ok(Self::new(
            crate::sdk::bedrock_client(sdk, settings.timeout),
            settings,
        ))
    }

    fn tool_config(&self) -> Result<ToolConfiguration> {
        let spec = ToolSpecification::builder()
            .name(TOOL_NAME)
            .description("Record the incident analysis. Call it exactly once.")
            .input_schema(ToolInputSchema::Json(to_document(&prompt::answer_schema())))
            .build()
            .map_err(request_error)?;
        ToolConfiguration::builder()
            .tools(Tool::ToolSpec(spec))
            .tool_choice(ToolChoice::Tool(
                SpecificToolChoice::builder()
                    .name(TOOL_NAME)
                    .build()
                    .map_err(request_error)?,
            ))
            .build()
            .map_err(request_error)
    }
}

impl BedrockAnalyzer {
    /// Sends a Converse request, once: the state machine retries
    /// `Analyzer.Throttled` and `Analyzer.Unavailable` (one retry layer), and
    /// the SDK client's operation timeout bounds the call.
    async fn send(
        &self,
        request: impl Fn()
            -> aws_sdk_bedrockruntime::operation::converse::builders::ConverseFluentBuilder,
    ) -> Result<aws_sdk_bedrockruntime::operation::converse::ConverseOutput> {
        request().send().await.map_err(|e| {
            let failure = Failure::of("Converse", &e);
            match failure.kind {
                Kind::Throttled => Error::new(names::ANALYZER_THROTTLED, failure.message),
                Kind::Transient => Error::new(names::ANALYZER_UNAVAILABLE, failure.message),
                Kind::Rejected => Error::new(names::ANALYZER_REJECTED, failure.message),
            }
        })
    }

    /// A free question (`analyze_incidents`): the answer's text.
    pub async fn ask(&self, prompt: &str) -> Result<String> {
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(prompt.to_owned()))
            .build()
            .map_err(request_error)?;
        let out = self
            .send(|| {
                self.client
                    .converse()
                    .model_id(&self.settings.model_id)
                    .messages(message.clone())
                    .inference_config(
                        InferenceConfiguration::builder()
                            .max_tokens(self.settings.max_tokens)
                            .temperature(0.0)
                            .build(),
                    )
            })
            .await?;
        match out.output() {
            Some(ConverseOutput::Message(message)) => Ok(message
                .content()
                .iter()
                .filter_map(|block| match block {
                    ContentBlock::Text(text) => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n")),
            _ => Err(Error::new(
                names::ANALYZER_INVALID_OUTPUT,
                "the answer has no message",
            )),
        }
    }
}

fn request_error(e: impl std::fmt::Display) -> Error {
    Error::new(names::ANALYZER_REJECTED, format!("Converse request: {e}"))
}

impl Analyzer for BedrockAnalyzer {
    fn id(&self) -> AnalyzerId {
        AnalyzerId {
            name: self.settings.model_id.clone(),
            version: prompt::PROMPT_VERSION.to_owned(),
        }
    }

    async fn analyze(&self, input: &AnalysisInput) -> Result<Analyzed> {
        let built = prompt::build(input, self.settings.token_budget);
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(built.user.clone()))
            .build()
            .map_err(request_error)?;
        let tools = self.tool_config()?;
        let started = Instant::now();
        let out = self
            .send(|| {
                self.client
                    .converse()
                    .model_id(&self.settings.model_id)
                    .system(SystemContentBlock::Text(built.system.clone()))
                    .messages(message.clone())
                    .inference_config(
                        InferenceConfiguration::builder()
                            .max_tokens(self.settings.max_tokens)
                            .temperature(0.0)
                            .build(),
                    )
                    .tool_config(tools.clone())
            })
            .await?;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if out.stop_reason() == &StopReason::MaxTokens {
            return Err(Error::new(
                names::ANALYZER_INVALID_OUTPUT,
                format!(
                    "the answer was cut at maxTokens ({}): raise the limit",
                    self.settings.max_tokens
                ),
            ));
        }
        let tool_input = match out.output() {
            Some(ConverseOutput::Message(message)) => {
                message.content().iter().find_map(|block| match block {
                    ContentBlock::ToolUse(tool) if tool.name() == TOOL_NAME => {
                        Some(to_value(tool.input()))
                    }
                    _ => None,
                })
            }
            _ => None,
        }
        .ok_or_else(|| {
            Error::new(
                names::ANALYZER_INVALID_OUTPUT,
                format!("the answer has no call of the '{TOOL_NAME}' tool"),
            )
        })?;
        let analysis = ModelAnswer::into_analysis(
            &tool_input.to_string(),
            &self.settings.model_id,
            prompt::PROMPT_VERSION,
            built.context_cut,
        )
        .map_err(|e| Error::new(names::ANALYZER_INVALID_OUTPUT, e.0))?;
        let (input_tokens, output_tokens) = out.usage().map_or((0, 0), |u| {
            (
                u64::try_from(u.input_tokens()).unwrap_or(0),
                u64::try_from(u.output_tokens()).unwrap_or(0),
            )
        });
        Ok(Analyzed {
            analysis,
            usage: Some(Usage {
                input_tokens,
                output_tokens,
                cost_usd: self.settings.prices.cost(input_tokens, output_tokens),
                latency_ms,
            }),
        })
    }
}
