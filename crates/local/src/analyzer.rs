//! The local analyzer: the built-in rules, or an OpenAI-compatible model
//! (`[workflow.analyzer] kind = "openai"`).

use std::time::Instant;

use responder_core::analysis::{ANALYZER_NAME, AnalysisInput, RULES_VERSION, RuleAnalyzer, prompt};
use responder_workflow::Result;
use responder_workflow::ports::{Analyzed, Analyzer, AnalyzerId, Usage};

use crate::openai::AnalyzerConfig;

#[derive(Debug, Clone)]
pub struct LocalAnalyzer {
    pub config: AnalyzerConfig,
}

impl Analyzer for LocalAnalyzer {
    fn id(&self) -> AnalyzerId {
        if self.config.uses_model() {
            AnalyzerId {
                name: self.config.model.clone(),
                version: prompt::PROMPT_VERSION.to_owned(),
            }
        } else {
            AnalyzerId {
                name: ANALYZER_NAME.to_owned(),
                version: RULES_VERSION.to_owned(),
            }
        }
    }

    async fn analyze(&self, input: &AnalysisInput) -> Result<Analyzed> {
        if !self.config.uses_model() {
            return Ok(Analyzed {
                analysis: RuleAnalyzer.analyze(input),
                usage: None,
            });
        }
        let started = Instant::now();
        let analysis = crate::openai::analyze(&self.config, input).await?;
        Ok(Analyzed {
            analysis,
            usage: Some(Usage {
                latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                ..Usage::default()
            }),
        })
    }
}
