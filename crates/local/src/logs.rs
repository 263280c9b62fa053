//! Log groups from a local folder: one folder per group
//! (`<dir>/aws/lambda/checkout/*.log` is `/aws/lambda/checkout`), or one
//! file per group at the top with `__` for `/`
//! (`<dir>/aws__lambda__checkout.log`). Files hold lines as `aws logs tail
//! --format detailed` prints them, JSON lines, or lines that start with a
//! timestamp (see `responder_core::context::events`).
//!
//! Every group of the folder is a candidate: the core weighs each against
//! the alert, as discovery does in AWS.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use responder_core::context::events::{self, LogEvent};
use responder_core::context::topology::{self, RelatedGroup};
use responder_core::context::{Span, Topology, Windows};
use responder_core::{Alert, limits::truncate_chars};
use responder_workflow::ports::LogSource;

/// The longest message kept of one event.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// The most events read of one group in one span (the latest kept).
pub const MAX_EVENTS_PER_GROUP: usize = 200_000;
/// Groups a folder may hold before the rest are ignored.
const MAX_GROUPS_LISTED: usize = 2000;
/// The deepest folder searched for groups.
const MAX_DEPTH: usize = 8;

/// The log folder as the workflow's log source.
#[derive(Debug, Clone)]
pub struct LogFolder {
    pub dir: PathBuf,
    /// `[workflow] log_groups`: groups of an alarm or a service, by its name.
    pub log_groups: BTreeMap<String, Vec<String>>,
}

impl LogSource for LogFolder {
    async fn discover(&self, alert: &Alert) -> responder_workflow::Result<Topology> {
        Ok(discover(self, alert))
    }

    async fn read(
        &self,
        groups: &[String],
        windows: &Windows,
    ) -> responder_workflow::Result<Vec<(String, Vec<LogEvent>)>> {
        let (dir, groups, span) = (self.dir.clone(), groups.to_vec(), windows.read_span());
        tokio::task::spawn_blocking(move || read_groups(&dir, &groups, span))
            .await
            .map_err(responder_workflow::Error::corrupt)
    }
}

/// The alert's topology with every group of the folder weighed against
/// it, and the groups configuration names for its alarm or service.
pub fn discover(folder: &LogFolder, alert: &Alert) -> Topology {
    let mut topology = topology::of_alert_with_configured(alert, &folder.log_groups);
    let namespace = alert
        .metric
        .as_ref()
        .and_then(|m| m.namespace.clone())
        .unwrap_or_default();
    let weighed: Vec<RelatedGroup> = list_groups(&folder.dir)
        .iter()
        .map(|g| topology::weigh_group(&topology, &namespace, g))
        .collect();
    for group in weighed {
        if !topology.log_groups.iter().any(|g| g.name == group.name) {
            topology.log_groups.push(group);
        }
    }
    // Groups named by the alert that the folder does not hold have nothing
    // to read.
    let present = list_groups(&folder.dir);
    topology.log_groups.retain(|g| present.contains(&g.name));
    topology
}

/// Every log group of the folder, sorted.
pub fn list_groups(dir: &Path) -> Vec<String> {
    let mut groups = Vec::new();
    walk(dir, dir, 0, &mut groups);
    groups.sort();
    groups.dedup();
    groups.truncate(MAX_GROUPS_LISTED);
    groups
}

fn walk(root: &Path, dir: &Path, depth: usize, groups: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut has_files = false;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        // Symbolic links are not followed: a group stays inside the folder.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(root, &path, depth + 1, groups);
        } else if kind.is_file() && is_log_file(&path) {
            if depth == 0 {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    groups.push(flat_group_name(stem));
                }
            } else {
                has_files = true;
            }
        }
    }
    if has_files && let Ok(relative) = dir.strip_prefix(root) {
        let parts: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
        groups.push(format!("/{}", parts.join("/")));
    }
}

fn is_log_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("log" | "jsonl" | "txt")
    )
}

/// `aws__lambda__checkout` → `/aws/lambda/checkout`.
fn flat_group_name(stem: &str) -> String {
    let name = stem.replace("__", "/");
    if name.starts_with('/') {
        name
    } else {
        format!("/{name}")
    }
}

/// The events of one group in `span` (all of them without one), in time
/// order, at most [`MAX_EVENTS_PER_GROUP`] (the latest).
pub fn read_group(dir: &Path, group: &str, span: Option<Span>) -> Vec<LogEvent> {
    let mut found = Vec::new();
    for file in group_files(dir, group) {
        let text = match span {
            Some(span) => read_window(&file, span),
            None => std::fs::read_to_string(&file).ok(),
        };
        if let Some(text) = text {
            found.extend(events::parse(&text, span));
        }
    }
    // Files of one group (one per stream) interleave.
    found.sort_by_key(|e| e.at);
    let skip = found.len().saturating_sub(MAX_EVENTS_PER_GROUP);
    found
        .into_iter()
        .skip(skip)
        .map(|mut e| {
            if e.message.len() > MAX_MESSAGE_CHARS {
                e.message = truncate_chars(&e.message, MAX_MESSAGE_CHARS);
            }
            e
        })
        .collect()
}

/// The events of each group in `span`, the groups read on every core.
pub fn read_groups(dir: &Path, groups: &[String], span: Span) -> Vec<(String, Vec<LogEvent>)> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(groups.len().max(1));
    let per_worker = groups.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .chunks(per_worker)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|g| (g.clone(), read_group(dir, g, Some(span))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The part of a time-ordered log file that can hold `span`: its start
/// found by bisection over the file (a few small reads), then read until a
/// line at or past the span's end. A file whose lines do not start with a
/// timestamp (JSON lines) is read whole. `None` if it cannot be read.
pub fn read_window(path: &Path, span: Span) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    // The first timestamped line at or after `offset`: its offset and time.
    let mut line_at = |offset: u64| -> Option<(u64, i64)> {
        let mut buffer = vec![0u8; PROBE_BYTES];
        file.seek(SeekFrom::Start(offset)).ok()?;
        let read = file.read(&mut buffer).ok()?;
        let buffer = buffer.get(..read)?;
        let mut at = if offset == 0 {
            0
        } else {
            buffer.iter().position(|&b| b == b'\n')? + 1
        };
        while at < buffer.len() {
            let rest = buffer.get(at..)?;
            if let Some((millis, _)) = events::rfc3339_millis(rest) {
                return Some((offset + at as u64, millis));
            }
            at += rest.iter().position(|&b| b == b'\n')? + 1;
        }
        None
    };
    let Some((_, first)) = line_at(0) else {
        return std::fs::read_to_string(path).ok();
    };
    let (start, end) = (span.start.timestamp_millis(), span.end.timestamp_millis());
    let from = if first >= start {
        0
    } else {
        // The last probe offset whose next line is before the span's start.
        let (mut low, mut high) = (0u64, size);
        while high - low > PROBE_BYTES as u64 / 2 {
            let mid = low + (high - low) / 2;
            match line_at(mid) {
                Some((_, millis)) if millis < start => low = mid,
                _ => high = mid,
            }
        }
        line_at(low).map_or(0, |(offset, _)| offset)
    };
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let read = file.read(&mut chunk).ok()?;
        if read == 0 {
            break;
        }
        let piece = chunk.get(..read)?;
        bytes.extend_from_slice(piece);
        // Stop once the chunk's last whole line is at or past the end.
        let past_end = piece
            .rsplit(|&b| b == b'\n')
            .skip(1)
            .find_map(events::rfc3339_millis)
            .is_some_and(|(millis, _)| millis >= end);
        if past_end {
            break;
        }
    }
    Some(
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// How much of a file one bisection probe reads.
const PROBE_BYTES: usize = 16 * 1024;
/// How much is read at a time once in the span.
const READ_CHUNK: usize = 256 * 1024;

/// Events of `groups` containing `filter` (case-insensitive), between
/// `start` and `end`, oldest first, at most `limit` (the most recent).
pub fn search(
    dir: &Path,
    groups: &[String],
    filter: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    limit: usize,
) -> Vec<responder_workflow::backend::FoundLine> {
    let needle = filter.to_lowercase();
    let span = Span { start, end };
    let mut found: Vec<responder_workflow::backend::FoundLine> = groups
        .iter()
        .flat_map(|group| {
            read_group(dir, group, Some(span))
                .into_iter()
                .filter(|e| needle.is_empty() || e.message.to_lowercase().contains(&needle))
                .map(|e| responder_workflow::backend::FoundLine {
                    log_group: group.clone(),
                    timestamp: Some(e.at.to_rfc3339()),
                    message: truncate_chars(&e.message, MAX_MESSAGE_CHARS),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
    let skip = found.len().saturating_sub(limit);
    found.into_iter().skip(skip).collect()
}

/// The files of a log group: its folder's, or its one flat file. Only
/// inside the log folder: `..` and absolute parts of the name are dropped.
fn group_files(dir: &Path, group: &str) -> Vec<PathBuf> {
    let parts: Vec<&str> = group
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".." && *p != ".")
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    let relative: PathBuf = parts.iter().collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(relative))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| is_log_file(p))
        .collect();
    // `aws__lambda__x.log` or `__aws__lambda__x.log` (the leading `/` kept).
    let flat = parts.join("__");
    for prefix in ["", "__"] {
        for extension in ["log", "jsonl", "txt"] {
            let path = dir.join(format!("{prefix}{flat}.{extension}"));
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use responder_core::{NormalizeOptions, normalize};

    use super::*;

    fn lambda_alert() -> Alert {
        let text = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
        normalize(text, &NormalizeOptions::default())
            .unwrap()
            .remove(0)
    }

    #[test]
    fn groups_are_found_in_both_layouts_and_weighed() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("aws/lambda/checkout-api");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(nested.join("a.log"), "2026-11-20T09:00:00Z hello\n").unwrap();
        std::fs::write(
            dir.path()
                .join("aws__rds__instance__billing-db__postgresql.log"),
            "",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("__ecs__inventory.log"),
            "2026-11-20T09:00:00Z x\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.md"), "").unwrap();
        assert_eq!(
            list_groups(dir.path()),
            [
                "/aws/lambda/checkout-api",
                "/aws/rds/instance/billing-db/postgresql",
                "/ecs/inventory"
            ]
        );
        let folder = LogFolder {
            dir: dir.path().to_owned(),
            log_groups: BTreeMap::from([(
                "checkout-api".to_owned(),
                vec!["/ecs/inventory".to_owned(), "/not/in/folder".to_owned()],
            )]),
        };
        let mut alert = lambda_alert();
        alert.service = Some("checkout-api".to_owned());
        let topology = discover(&folder, &alert);
        let weight = |name: &str| {
            topology
                .log_groups
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.weight)
        };
        assert_eq!(weight("/aws/lambda/checkout-api"), Some(1.0));
        assert_eq!(weight("/ecs/inventory"), Some(1.0));
        assert!(weight("/aws/rds/instance/billing-db/postgresql").unwrap() < 1.0);
        assert_eq!(weight("/not/in/folder"), None);
        assert_eq!(read_group(dir.path(), "/ecs/inventory", None).len(), 1);
    }

    #[test]
    fn a_group_cannot_climb_out_of_the_logs_folder() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(
            dir.path().join("secret.log"),
            "2026-11-20T09:00:00Z secret\n",
        )
        .unwrap();
        assert!(read_group(&logs, "../secret", None).is_empty());
        assert!(read_group(&logs, "/../../secret", None).is_empty());
        assert!(group_files(&logs, "/").is_empty());
    }

    #[test]
    fn files_of_a_group_are_merged_in_time_order_within_the_span() {
        let dir = tempfile::tempdir().unwrap();
        let group = dir.path().join("ecs/orders");
        std::fs::create_dir_all(&group).unwrap();
        std::fs::write(
            group.join("task-a.log"),
            "2026-11-20T09:00:00.000Z ecs/orders/aaa111 first\n2026-11-20T09:02:00.000Z ecs/orders/aaa111 third\n",
        )
        .unwrap();
        std::fs::write(
            group.join("task-b.log"),
            "2026-11-20T09:01:00.000Z ecs/orders/bbb222 second\n2026-11-20T10:00:00.000Z ecs/orders/bbb222 later\n",
        )
        .unwrap();
        let span = Span {
            start: "2026-11-20T08:00:00Z".parse().unwrap(),
            end: "2026-11-20T09:30:00Z".parse().unwrap(),
        };
        let messages: Vec<String> = read_group(dir.path(), "/ecs/orders", Some(span))
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(messages, ["first", "second", "third"]);
    }
}
