//! Guards: deep recursion and long loops fail with an error, never by
//! overflowing the stack or running forever.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Duration;

use responder_jsonata::{Environment, Expression};

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    // Tokio's worker threads have 2 MiB stacks: evaluation must fit.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("no stack overflow")
}

#[test]
fn deep_recursion_is_an_error_before_the_stack_runs_out() {
    let code = on_small_stack(|| {
        let expr =
            Expression::parse("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))")
                .expect("parses");
        expr.evaluate(None, &Environment::new())
            .expect_err("too deep")
            .code
    });
    assert_eq!(code, "D1011");
}

#[test]
fn a_recursion_fifty_deep_succeeds_on_a_small_stack() {
    // About 12 KB of stack a level in a debug build, 2.5 KB in release.
    let levels = 50;
    let result = on_small_stack(move || {
        let expr = Expression::parse(&format!(
            "($f := function($n){{ $n = 0 ? 0 : 1 + $f($n - 1) }}; $f({levels}))"
        ))
        .expect("parses");
        expr.evaluate(None, &Environment::new()).expect("evaluates")
    });
    assert_eq!(result, Some(serde_json::json!(levels)));
}

#[test]
fn tail_recursion_runs_in_constant_stack() {
    let result = on_small_stack(|| {
        let expr = Expression::parse(
            "($f := function($n, $acc){ $n = 0 ? $acc : $f($n - 1, $acc + 1) }; $f(100000, 0))",
        )
        .expect("parses");
        expr.evaluate(None, &Environment::new()).expect("evaluates")
    });
    assert_eq!(result, Some(serde_json::json!(100000)));
}

#[test]
fn an_endless_loop_times_out() {
    let expr = Expression::parse("($f := function(){ $f() }; $f())").expect("parses");
    let env = Environment::new().with_timeout(Some(Duration::from_millis(200)));
    let error = expr.evaluate(None, &env).expect_err("never ends");
    assert_eq!(error.code, "D1012");
}

#[test]
fn deeply_nested_text_is_refused_when_parsed() {
    let text = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let error = on_small_stack(move || Expression::parse(&text).expect_err("too deep").code);
    assert_eq!(error, "S0201");
}
