//! "What changed" on this machine: CloudTrail records in a file of JSON
//! lines (`[workflow] changes_file`, else `changes.jsonl` in the data
//! directory), as `aws cloudtrail lookup-events` prints its events or a
//! trail delivers its records. No file: no changes known.

use std::path::PathBuf;

use responder_core::context::Span;
use responder_core::context::changes::{ChangeEvent, parse_lines};
use responder_workflow::ports::Changes;

/// The largest changes file read (a trail's day of a busy account is
/// larger: keep the recent part).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ChangesFile {
    pub path: PathBuf,
}

impl Changes for ChangesFile {
    async fn lookup(&self, span: Span) -> responder_workflow::Result<Vec<ChangeEvent>> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || read(&path, span))
            .await
            .map_err(responder_workflow::Error::corrupt)?
    }
}

fn read(path: &std::path::Path, span: Span) -> responder_workflow::Result<Vec<ChangeEvent>> {
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(crate::error::LocalError::io(path, &e).into()),
    };
    if size > MAX_FILE_BYTES {
        return Err(responder_workflow::Error::new(
            responder_workflow::error::names::CHANGES_FAILED,
            format!(
                "{} is {size} bytes; the limit is {MAX_FILE_BYTES}",
                path.display()
            ),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| crate::error::LocalError::io(path, &e))?;
    Ok(parse_lines(&text)
        .into_iter()
        .filter(|c| span.contains(c.at))
        .collect())
}
