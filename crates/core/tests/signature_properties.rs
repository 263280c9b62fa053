//! The signature is stable under what varies between occurrences of one
//! failure, and changes with what tells failures apart.

// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use responder_core::{NormalizeOptions, message_template, normalize};

/// Failure messages with slots for the parts that vary between occurrences.
const TEMPLATES: [&str; 5] = [
    "Task timed out after {num} seconds RequestId: {uuid}",
    "connect ECONNREFUSED {ip}:{port} while calling orders-db for order {num}",
    "ERROR {ts} user {quoted} denied access to table {quoted} (trace {hex})",
    "OutOfMemoryError: Java heap space in worker {id} at {ts}",
    "Throttled by DynamoDB: ProvisionedThroughputExceededException on {id}, retry {num} of 5",
];

fn uuid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
}

fn timestamp() -> impl Strategy<Value = String> {
    (
        2000u32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        0u32..60,
        0u32..1000,
        prop::bool::ANY,
    )
        .prop_map(|(y, mo, d, h, mi, s, ms, colon_less)| {
            if colon_less {
                format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}+0000")
            } else {
                format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
            }
        })
}

/// One occurrence of `template` with fresh values in every slot.
fn occurrence(template: &'static str) -> impl Strategy<Value = String> {
    (
        0u64..10_000_000,
        uuid(),
        (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255),
        1u16..65535,
        timestamp(),
        "[a-z]{1,12}",
        "[0-9a-f]{8,32}",
        "(i|req|job)-[0-9a-f]{6,17}",
    )
        .prop_map(move |(num, uuid, (a, b, c, d), port, ts, word, hex, id)| {
            template
                .replace("{num}", &num.to_string())
                .replace("{uuid}", &uuid)
                .replace("{ip}", &format!("{a}.{b}.{c}.{d}"))
                .replace("{port}", &port.to_string())
                .replace("{ts}", &ts)
                .replace("{quoted}", &format!("'{word}'"))
                .replace("{hex}", &hex)
                .replace("{id}", &id)
        })
}

fn webhook_signature(message: &str) -> String {
    let payload =
        serde_json::json!({"title": "Checkout failing", "message": message, "service": "checkout"});
    let alerts = normalize(&payload.to_string(), &NormalizeOptions::default()).unwrap();
    alerts[0].signature.to_string()
}

/// Two occurrences of one failure.
fn same_failure_twice() -> impl Strategy<Value = (String, String)> {
    (0..TEMPLATES.len()).prop_flat_map(|i| (occurrence(TEMPLATES[i]), occurrence(TEMPLATES[i])))
}

/// Occurrences of two different failures.
fn two_failures() -> impl Strategy<Value = (String, String)> {
    (0..TEMPLATES.len(), 1..TEMPLATES.len()).prop_flat_map(|(a, shift)| {
        let b = (a + shift) % TEMPLATES.len();
        (occurrence(TEMPLATES[a]), occurrence(TEMPLATES[b]))
    })
}

proptest! {
    #[test]
    fn occurrences_of_one_failure_share_a_signature((first, second) in same_failure_twice()) {
        prop_assert_eq!(message_template(&first), message_template(&second), "{} vs {}", first, second);
        prop_assert_eq!(webhook_signature(&first), webhook_signature(&second));
    }

    #[test]
    fn different_failures_have_different_signatures((first, second) in two_failures()) {
        prop_assert_ne!(webhook_signature(&first), webhook_signature(&second));
    }

    #[test]
    fn a_changed_word_changes_the_signature(word in "[a-z]{3,10}", other in "[a-z]{3,10}") {
        prop_assume!(word != other);
        let first = format!("payment gateway {word} for order 1234");
        let second = format!("payment gateway {other} for order 1234");
        prop_assert_ne!(webhook_signature(&first), webhook_signature(&second));
    }

    #[test]
    fn templates_never_grow_past_their_limit(text in "\\PC{0,2000}") {
        let template = message_template(&text);
        prop_assert!(template.len() <= responder_core::limits::MAX_TEMPLATE_BYTES);
    }

    /// Quotes are left out: a stray quote can pair with one that masking
    /// exposed, which changes nothing for signatures (both occurrences are
    /// masked alike) but would make this property fail for no reason.
    #[test]
    fn masking_is_idempotent(text in "[ !#-&(-_a-~]{0,300}") {
        let once = message_template(&text);
        prop_assert_eq!(message_template(&once), once.clone());
    }
}
