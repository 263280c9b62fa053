//! A local AWS Step Functions engine.
//!
//! It runs Amazon States Language definitions, JSONPath and JSONata, with
//! the semantics AWS applies: input and output processing, every state type,
//! intrinsic functions, JSONata expressions and variables, Retry and Catch,
//! inline Map and Parallel, task timeouts, heartbeats and
//! `.waitForTaskToken` callbacks, AWS's error names and execution history. Executions live in SQLite: one waiting for a callback
//! resumes after the process restarts. Time and randomness are injectable.
//!
//! It knows nothing about incidents: tasks reach code through a
//! [`TaskHandler`], keyed by Lambda function name or resource.
//!
//! Not supported, refused at load with the state's name: Distributed Map,
//! activities.

mod choice;
mod clock;
mod definition;
mod engine;
mod error;
mod execution;
mod handler;
mod history;
mod intrinsics;
mod mock;
mod path;
mod store;
mod template;

pub use clock::{Clock, ManualClock, OsRandom, Random, SeededRandom, SystemClock};
pub use definition::{Definition, Target, function_name};
pub use engine::{Engine, Observer, Persistence};
pub use error::{DefinitionError, EngineError, StatesError, names};
pub use execution::{Execution, MAX_PAYLOAD_BYTES, Status};
pub use handler::{Registry, TaskHandler, TaskRequest};
pub use history::{Details, Event, More, Payload};
pub use mock::MockCase;
pub use path::JsonPath;
pub use store::{ExecutionSummary, Store, open_wal};
