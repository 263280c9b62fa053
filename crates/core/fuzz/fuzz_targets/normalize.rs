//! Any bytes through `normalize_bytes`: a result or a named error, never a
//! panic, a hang or an unbounded allocation. Accepted alerts must serialize
//! and read back, as they do between workflow states.

#![no_main]

use libfuzzer_sys::fuzz_target;
use responder_core::{Alert, NormalizeOptions, normalize_bytes};

fuzz_target!(|data: &[u8]| {
    if let Ok(alerts) = normalize_bytes(data, &NormalizeOptions::default()) {
        let json = serde_json::to_string(&alerts).expect("alerts serialize");
        let back: Vec<Alert> = serde_json::from_str(&json).expect("alerts read back");
        assert_eq!(back.len(), alerts.len());
    }
});
