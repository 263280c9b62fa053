//! The incident workflow's steps, written once over small ports: the local
//! backends (`responder-local`) and the AWS adapters (`responder-aws`)
//! implement the ports, and the local engine and the Lambda functions call
//! the same steps.
//!
//! Every step is safe to run twice: deliveries are at least once.

pub mod backend;
pub mod budget;
pub mod error;
mod error_names;
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
pub mod history;
pub mod policy;
pub mod ports;
pub mod render;
pub mod steps;

pub use error::{Error, Result};
pub use policy::Policy;
