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
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
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
    fn unknown_keys_are_refused_by_name() {
        let error = toml::from_str::<Config>("[normalize]\nseverity_rule = []\n").unwrap_err();
        assert!(error.to_string().contains("severity_rule"));
    }
}
