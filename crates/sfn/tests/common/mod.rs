//! Shared by the conformance tests: an engine on an in-memory store, a
//! manual clock and a seeded random source, so every run is instant and
//! repeatable.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use responder_sfn::{
    Definition, Engine, Execution, ManualClock, Registry, SeededRandom, StatesError, Store,
};
use serde_json::Value;

pub const START: &str = "2026-01-15T10:00:00Z";

pub fn start_time() -> DateTime<Utc> {
    START.parse().unwrap()
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(start_time()))
}

pub fn engine_with(registry: Registry, clock: Arc<ManualClock>) -> Engine {
    Engine::new(Store::in_memory().unwrap(), Arc::new(registry))
        .with_clock(clock)
        .with_random(Arc::new(SeededRandom::new(7)))
}

pub fn engine(registry: Registry) -> Engine {
    engine_with(registry, clock())
}

pub fn definition(asl: &Value) -> Arc<Definition> {
    Arc::new(Definition::load(&asl.to_string(), &HashMap::new()).unwrap())
}

pub fn load_error(asl: &Value) -> String {
    Definition::load(&asl.to_string(), &HashMap::new())
        .unwrap_err()
        .to_string()
}

pub async fn run_with(registry: Registry, asl: &Value, input: Value) -> Execution {
    engine(registry)
        .execute(&definition(asl), "Test", Some("run-1"), input)
        .await
        .unwrap()
}

pub async fn run(asl: &Value, input: Value) -> Execution {
    run_with(Registry::new(), asl, input).await
}

/// One Pass state with these fields, ending the machine.
pub fn pass(fields: Value) -> Value {
    let mut state = serde_json::json!({"Type": "Pass", "End": true});
    if let (Some(s), Value::Object(f)) = (state.as_object_mut(), fields) {
        s.extend(f);
    }
    serde_json::json!({"StartAt": "P", "States": {"P": state}})
}

pub fn event_types(execution: &Execution) -> Vec<String> {
    execution
        .history()
        .iter()
        .map(|e| e.kind.to_string())
        .collect()
}

/// A registry whose function `name` answers from `f`, recording each input.
pub fn recording<F>(name: &str, f: F) -> (Registry, Arc<Mutex<Vec<Value>>>)
where
    F: Fn(&Value, u32) -> Result<Value, StatesError> + Send + Sync + 'static,
{
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    let mut registry = Registry::new();
    registry.register_fn(name, move |request| {
        seen.lock().unwrap().push(request.input.clone());
        f(&request.input, request.attempt)
    });
    (registry, calls)
}
