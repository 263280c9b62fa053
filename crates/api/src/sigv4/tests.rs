//! The pieces' own cases; `tests/sigv4_suite.rs` runs AWS's test suite.

use super::Credential;
use super::canonical::{canonical_query, normalize_path, uri_encode};

#[test]
fn paths_are_normalized_as_rfc_3986_resolves_them() {
    for (path, expected) in [
        ("/", "/"),
        ("", "/"),
        ("//example//", "/example/"),
        ("/example/..", "/"),
        ("/./example", "/example"),
        ("/example1/example2/../..", "/"),
        ("/a/b/../c/", "/a/c/"),
    ] {
        assert_eq!(normalize_path(path), expected, "{path}");
    }
}

#[test]
fn percent_signs_in_paths_are_encoded_again() {
    assert_eq!(
        uri_encode("/test/@connections/JBDvjfGEIAMCERw%3D", false),
        "/test/%40connections/JBDvjfGEIAMCERw%253D"
    );
}

#[test]
fn query_parameters_are_sorted_and_reencoded() {
    assert_eq!(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
    assert_eq!(canonical_query("k=a%20b&s=x y"), "k=a%20b&s=x%20y");
}

#[test]
fn bytes_that_are_not_utf_8_keep_their_escape() {
    // botocore signs `%FF` as `%FF`; a lossy decode made it `%EF%BF%BD`.
    assert_eq!(canonical_query("k=%FF%fe"), "k=%FF%FE");
}

#[test]
fn secrets_are_not_in_debug_output() {
    let credential = Credential {
        name: "ci".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: Some("token-value".into()),
    };
    let text = format!("{credential:?}");
    assert!(
        !text.contains("EXAMPLEKEY") && !text.contains("token-value"),
        "{text}"
    );
}
