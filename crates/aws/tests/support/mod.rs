//! A moto server for the integration tests: started once per test binary
//! on a free loopback port, and gone when the binary exits, however it exits.
//!
//! The server lives in a `static`, and statics are never dropped, so no
//! kill-on-drop handle can stop it. Instead a small shell watches the test
//! binary: it starts moto, then reads its standard input, a pipe whose only
//! writer is this process. When the test binary exits (normally, by a
//! panic, or killed), the kernel closes the pipe, the read ends, and the
//! shell kills moto and waits for it.
//!
//! `MOTO_SERVER` names the executable; by default the one `make tools`
//! installs in `.venv-tools/` (pinned moto 5.2.5), else `moto_server` on PATH.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

pub struct Moto {
    pub url: String,
    /// The watching shell; its standard input stays open while we live.
    _watchdog: Child,
}

/// Runs `"$0" "$@"` (moto) in the background until standard input ends.
const WATCHDOG: &str = r#""$0" "$@" & server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; exit 0' EXIT
cat >/dev/null"#;

fn executable() -> PathBuf {
    #[allow(clippy::disallowed_methods)]
    if let Ok(path) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.venv-tools/bin/moto_server"
    ));
    if venv.exists() {
        venv
    } else {
        PathBuf::from("moto_server")
    }
}

/// The server, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = executable();
        assert!(
            server.components().count() == 1 || server.exists(),
            "no moto_server at {}: run `make tools` or set MOTO_SERVER",
            server.display()
        );
        let mut watchdog = Command::new("sh")
            .args(["-c", WATCHDOG])
            .arg(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sh to watch moto_server: {e}"));
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                watchdog.try_wait().unwrap().is_none(),
                "moto_server ({}) exited at once: run `make tools` or set MOTO_SERVER",
                server.display()
            );
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            url: format!("http://127.0.0.1:{port}"),
            _watchdog: watchdog,
        }
    })
}

pub async fn sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .endpoint_url(&moto().url)
        .load()
        .await
}

/// A name no other test uses, for tables and buckets.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A DynamoStore over fresh tables, created as the CDK app defines them.
pub async fn dynamo_store() -> responder_aws::dynamodb::DynamoStore {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    let client = aws_sdk_dynamodb::Client::new(&sdk().await);
    let tables = responder_aws::dynamodb::Tables {
        incidents: unique("incidents"),
        occurrences: unique("occurrences"),
        approvals: unique("approvals"),
        cache: unique("cache"),
        idempotency: unique("idempotency"),
    };
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    for (table, pk) in [
        (&tables.incidents, "id"),
        (&tables.occurrences, "dedup_key"),
        (&tables.approvals, "id"),
        (&tables.cache, "key"),
        (&tables.idempotency, "id"),
    ] {
        let mut create = client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr(pk))
            .key_schema(key(pk, KeyType::Hash));
        if table == &tables.incidents {
            // Listing by status and time.
            create = create
                .attribute_definitions(attr("status"))
                .attribute_definitions(attr("opened_at"))
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name("by_status")
                        .key_schema(key("status", KeyType::Hash))
                        .key_schema(key("opened_at", KeyType::Range))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                );
        }
        create.send().await.unwrap();
    }
    responder_aws::dynamodb::DynamoStore::new(client, tables)
}

/// An S3 client (path style, as moto serves it) and a fresh bucket.
pub async fn s3_bucket() -> (aws_sdk_s3::Client, String) {
    let sdk = sdk().await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique("archive");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    (client, bucket)
}
