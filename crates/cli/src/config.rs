//! `responder.toml`: read once at start-up.

use std::path::Path;

use anyhow::Context;
use responder_core::NormalizeOptions;
use serde::Deserialize;

/// The file looked for in the current directory when `--config` is not given.
const DEFAULT_FILE: &str = "responder.toml";

/// Everything configurable. Every section has defaults that need no editing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub normalize: NormalizeOptions,
    #[serde(default)]
    pub workflow: responder_local::WorkflowConfig,
}

impl Config {
    /// Reads `path`, or `responder.toml` if present, or the defaults.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let (path, required) = match path {
            Some(path) => (path, true),
            None => (Path::new(DEFAULT_FILE), false),
        };
        let mut config: Self = match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?
            }
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        config.apply_environment(|name| {
            #[allow(clippy::disallowed_methods)]
            // The one place settings are read from the environment.
            std::env::var(name).ok()
        })?;
        Ok(config)
    }

    /// Environment variables override the file (`RESPONDER_` + the setting):
    /// `RESPONDER_LOGS_DIR`, `RESPONDER_TIMEOUT_POLICY`,
    /// `RESPONDER_ANALYZER` (kind), `RESPONDER_ANALYZER_ENDPOINT`,
    /// `RESPONDER_ANALYZER_MODEL`.
    fn apply_environment(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let workflow = &mut self.workflow;
        if let Some(dir) = var("RESPONDER_LOGS_DIR") {
            workflow.logs_dir = dir.into();
        }
        if let Some(policy) = var("RESPONDER_TIMEOUT_POLICY") {
            workflow.timeout_policy = policy;
        }
        if let Some(kind) = var("RESPONDER_ANALYZER") {
            workflow.analyzer.kind = kind;
        }
        if let Some(endpoint) = var("RESPONDER_ANALYZER_ENDPOINT") {
            workflow.analyzer.endpoint = endpoint;
        }
        if let Some(model) = var("RESPONDER_ANALYZER_MODEL") {
            workflow.analyzer.model = model;
        }
        if !matches!(workflow.timeout_policy.as_str(), "deliver" | "suppress") {
            anyhow::bail!(
                "workflow.timeout_policy is '{}'; expected deliver or suppress",
                workflow.timeout_policy
            );
        }
        if !matches!(workflow.analyzer.kind.as_str(), "rules" | "openai") {
            anyhow::bail!(
                "workflow.analyzer.kind is '{}'; expected rules or openai",
                workflow.analyzer.kind
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_responder_toml_parses() {
        let shipped = include_str!("../../../responder.toml");
        let config: Config = toml::from_str(shipped).unwrap();
        assert!(
            config
                .normalize
                .severity_rules
                .iter()
                .all(|r| !r.name.is_empty())
        );
    }

    #[test]
    fn the_environment_overrides_the_file_and_is_checked() {
        let mut config = Config::default();
        let env = |name: &str| match name {
            "RESPONDER_ANALYZER" => Some("openai".to_owned()),
            "RESPONDER_ANALYZER_MODEL" => Some("qwen2.5".to_owned()),
            "RESPONDER_LOGS_DIR" => Some("/var/log/demo".to_owned()),
            _ => None,
        };
        config.apply_environment(env).unwrap();
        assert_eq!(config.workflow.analyzer.kind, "openai");
        assert_eq!(config.workflow.analyzer.model, "qwen2.5");
        assert_eq!(
            config.workflow.logs_dir,
            std::path::PathBuf::from("/var/log/demo")
        );
        let bad = |name: &str| (name == "RESPONDER_TIMEOUT_POLICY").then(|| "ignore".to_owned());
        let error = Config::default().apply_environment(bad).unwrap_err();
        assert!(error.to_string().contains("timeout_policy is 'ignore'"));
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let error = toml::from_str::<Config>("[normalize]\nseverity_rule = []\n").unwrap_err();
        assert!(error.to_string().contains("severity_rule"));
    }
}
