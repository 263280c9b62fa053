//! Helpers shared by the end-to-end tests: where the shared payloads live.

use std::path::{Path, PathBuf};

/// The repository's `events/` folder.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Every sample payload under `events/`, except the bad-input corpus
/// (`events/invalid/`), the functions' task inputs (`events/functions/`)
/// and the readable copies of encoded payloads (`*.decoded.json`), sorted.
pub fn sample_payloads() -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect(&events_dir(), &mut found);
    found.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        name.ends_with(".json")
            && !name.ends_with(".decoded.json")
            && !p
                .components()
                .any(|c| c.as_os_str() == "invalid" || c.as_os_str() == "functions")
    });
    found.sort();
    found
}

/// The bad-input corpus: (file, expected error type, expected message part).
pub fn bad_inputs() -> Vec<(PathBuf, String, String)> {
    let dir = events_dir().join("invalid");
    let manifest = std::fs::read_to_string(dir.join("expected.tsv")).unwrap_or_default();
    manifest
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let (file, kind, part) = (fields.next()?, fields.next()?, fields.next()?);
            Some((dir.join(file), kind.to_owned(), part.to_owned()))
        })
        .collect()
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
        } else {
            found.push(path);
        }
    }
}

/// The repository's `statemachine/` folder.
pub fn statemachine_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../statemachine")
}

/// The states an execution entered, in order.
pub fn states_entered(execution: &responder_sfn::Execution) -> Vec<String> {
    execution
        .history()
        .iter()
        .filter(|e| e.kind.ends_with("StateEntered"))
        .filter_map(|e| e.details.name.clone())
        .collect()
}
