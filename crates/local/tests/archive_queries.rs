//! `query_history`'s connection on its own, without the SQL guard in front
//! of it: whatever SQL reaches it can read the archive and nothing else, and
//! stops at its time and size limits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use responder_local::Db;
use responder_local::archive::QueryLimits;

fn db(name: &str) -> (Db, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("responder-archive-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = Db::open(&dir.join("responder.db")).unwrap();
    db.conn()
        .execute_batch(
            "INSERT INTO approvals (id, incident_id, token, channels, status, requested_at)
             VALUES ('apr-1', 'inc-1', 'SECRET-TASK-TOKEN', '[]', 'PENDING', '2026-11-20T09:00:00Z');
             INSERT INTO incident_history (incident_id, signature, resource, opened_at, root_cause)
             VALUES ('inc-0', 'sig', 'arn:x', '2026-11-01T00:00:00Z', 'a full disk');",
        )
        .unwrap();
    (db, dir)
}

fn limits() -> QueryLimits {
    QueryLimits {
        timeout: Duration::from_millis(300),
        max_result_bytes: 64 * 1024,
        max_value_bytes: 64 * 1024,
    }
}

#[tokio::test]
async fn the_archive_is_read() {
    let (db, _dir) = db("read");
    let rows = db
        .archive_queries(limits())
        .run("SELECT root_cause FROM incident_history WHERE root_cause LIKE '%disk%'")
        .await
        .unwrap();
    assert_eq!(rows.rows, vec![vec![serde_json::json!("a full disk")]]);
}

#[tokio::test]
async fn nothing_but_the_archive_is_reachable_even_past_the_guard() {
    let (db, _dir) = db("reach");
    let queries = db.archive_queries(limits());
    for sql in [
        // The main database's tables are not in the archive's file at all.
        "SELECT token FROM approvals",
        "SELECT token FROM main.approvals",
        "SELECT * FROM sfn_task_tokens",
        "SELECT * FROM audit",
        // What is in the file, or reachable from it, is denied.
        "SELECT * FROM sqlite_master",
        "SELECT * FROM pragma_table_info('incident_history')",
        "SELECT * FROM pragma_database_list",
        "SELECT * FROM json_each('[1,2]')",
        "SELECT load_extension('x')",
        "PRAGMA table_info(incident_history)",
        "ATTACH DATABASE 'responder.db' AS m",
        "DELETE FROM incident_history",
        "CREATE TABLE t (x)",
    ] {
        let refused = queries.run(sql).await.expect_err(sql);
        assert!(
            refused.name == "QueryRejected" || refused.name == "Unavailable",
            "{sql}: {refused}"
        );
        assert!(!refused.message.contains("SECRET"), "{sql}: {refused}");
    }
    let rows = queries
        .run("SELECT count(*) FROM incident_history")
        .await
        .unwrap();
    assert_eq!(rows.rows[0][0], serde_json::json!(1), "nothing was deleted");
}

#[tokio::test]
async fn a_query_that_never_ends_is_stopped_at_its_time_limit() {
    let (db, _dir) = db("forever");
    let refused = db
        .archive_queries(limits())
        .run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
        .await
        .unwrap_err();
    assert_eq!(refused.name, "QueryTimeout", "{refused}");
    assert!(refused.message.contains("300 ms"), "{refused}");
}

#[tokio::test]
async fn a_value_doubled_without_end_stops_at_the_value_limit() {
    let (db, _dir) = db("doubling");
    let refused = db
        .archive_queries(limits())
        .run(
            "WITH RECURSIVE d(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM d) \
             SELECT length(s) FROM d LIMIT 100",
        )
        .await
        .unwrap_err();
    assert_eq!(refused.name, "QueryTooLarge", "{refused}");
}

#[tokio::test]
async fn a_result_larger_than_its_limit_is_refused() {
    let (db, _dir) = db("large");
    let refused = db
        .archive_queries(limits())
        .run(
            "WITH RECURSIVE n(i, s) AS (SELECT 1, substr(printf('%.*c', 60000, 'x'), 1) \
             UNION ALL SELECT i + 1, s FROM n WHERE i < 100) SELECT s FROM n LIMIT 100",
        )
        .await
        .unwrap_err();
    // printf is not allowlisted: the authorizer refuses it before any size.
    assert_eq!(refused.name, "QueryRejected", "{refused}");
    let refused = db
        .archive_queries(limits())
        .run(
            "WITH RECURSIVE d(k, s) AS (SELECT 0, 'x' UNION ALL SELECT k + 1, s || s FROM d WHERE k < 14), \
             big AS (SELECT s FROM d WHERE k = 14), \
             n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) \
             SELECT big.s FROM n, big LIMIT 100",
        )
        .await
        .unwrap_err();
    assert_eq!(refused.name, "QueryTooLarge", "{refused}");
    assert!(refused.message.contains("65536 bytes"), "{refused}");
}
