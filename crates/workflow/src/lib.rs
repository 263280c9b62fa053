//! The incident workflow's steps, written once over small ports: the local
//! backends (`responder-local`) and the AWS adapters (`responder-aws`)
//! implement the ports, and the local engine and the Lambda functions call
//! the same steps.
//!
//! Every step is safe to run twice: deliveries are at least once.

// Task inputs are read as `serde_json::Value`, whose `value["key"]` gives
// `Null` for a missing key and never panics; the lint cannot tell it from
// slice indexing.
#![allow(clippy::indexing_slicing)]

pub mod backend;
pub mod budget;
pub mod error;
pub mod history;
pub mod policy;
pub mod ports;
pub mod render;
pub mod steps;

pub use error::{Error, Result};
pub use policy::Policy;
