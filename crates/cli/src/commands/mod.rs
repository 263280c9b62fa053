//! One module per subcommand.

pub mod decide;
pub mod executions;
pub mod incidents;
pub mod normalize;
pub mod run;
pub mod sfn;
