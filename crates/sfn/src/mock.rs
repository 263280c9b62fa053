//! Mocked task responses in the AWS Step Functions Local format
//! (`MockConfigFile.json`):
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "Incident": { "TestCases": { "HappyPath": { "Analyze": "AnalyzeOk" } } }
//!   },
//!   "MockedResponses": {
//!     "AnalyzeOk": {
//!       "0": { "Throw": { "Error": "Lambda.ServiceException", "Cause": "busy" } },
//!       "1-2": { "Return": { "StatusCode": 200, "Payload": { "summary": "..." } } }
//!     }
//!   }
//! }
//! ```
//!
//! Attempt keys count the state's invocations in the execution from 0,
//! retries included. When no key covers an invocation, the response with the
//! highest key answers again. A mocked `.waitForTaskToken` task gets its
//! `Return` as the callback's output. `Return` is the service's response as
//! is: for `lambda:invoke`, include the `Payload` envelope yourself.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::StatesError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MockFile {
    state_machines: HashMap<String, MachineCases>,
    #[serde(default)]
    mocked_responses: HashMap<String, HashMap<String, Response>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MachineCases {
    test_cases: HashMap<String, HashMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
enum Response {
    Return(Value),
    Throw(Thrown),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Thrown {
    error: String,
    #[serde(default)]
    cause: String,
}

/// The mocked responses of one test case, by state name.
#[derive(Debug, Clone, Default)]
pub struct MockCase {
    states: HashMap<String, Vec<(u32, u32, Response)>>,
}

impl MockCase {
    /// Reads a mock file and picks a test case. `state_machine` may be left
    /// out when the file describes one state machine.
    pub fn load(text: &str, state_machine: Option<&str>, test_case: &str) -> Result<Self, String> {
        let file: MockFile =
            serde_json::from_str(text).map_err(|e| format!("the mock file is not valid: {e}"))?;
        let machine = match state_machine {
            Some(name) => file
                .state_machines
                .get(name)
                .ok_or_else(|| format!("the mock file has no state machine '{name}'"))?,
            None if file.state_machines.len() == 1 => file
                .state_machines
                .values()
                .next()
                .ok_or("the mock file lists no state machine")?,
            None => {
                let mut names: Vec<&String> = file.state_machines.keys().collect();
                names.sort();
                return Err(format!(
                    "the mock file describes several state machines ({}); pick one with --state-machine",
                    names
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        };
        let case = machine
            .test_cases
            .get(test_case)
            .ok_or_else(|| format!("the mock file has no test case '{test_case}'"))?;
        let mut states = HashMap::new();
        for (state, response_name) in case {
            let responses = file.mocked_responses.get(response_name).ok_or_else(|| {
                format!("test case '{test_case}' names the mocked response '{response_name}', which is not defined")
            })?;
            let mut ranges = Vec::new();
            for (key, response) in responses {
                let (start, end) = attempt_range(key)
                    .ok_or_else(|| format!("mocked response '{response_name}': '{key}' is not an attempt number or range"))?;
                ranges.push((start, end, response.clone()));
            }
            ranges.sort_by_key(|(start, _, _)| *start);
            states.insert(state.clone(), ranges);
        }
        Ok(Self { states })
    }

    /// The response for the `invocation`-th call (from 0) of `state`, if mocked.
    pub fn response(&self, state: &str, invocation: u32) -> Option<Result<Value, StatesError>> {
        let ranges = self.states.get(state)?;
        let response = ranges
            .iter()
            .find(|(start, end, _)| (*start..=*end).contains(&invocation))
            .or_else(|| ranges.last())
            .map(|(_, _, r)| r)?;
        Some(match response {
            Response::Return(value) => Ok(value.clone()),
            Response::Throw(t) => Err(StatesError::new(t.error.clone(), t.cause.clone())),
        })
    }

    pub fn mocks(&self, state: &str) -> bool {
        self.states.contains_key(state)
    }
}

fn attempt_range(key: &str) -> Option<(u32, u32)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => {
            let n = key.trim().parse().ok()?;
            Some((n, n))
        }
    }
}
