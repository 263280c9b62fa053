//! The context gathered for an incident, and how it is gathered: what the
//! alert measures, which resources and log groups relate to it, which log
//! lines matter (templates mined and ranked against a baseline), what
//! changed, and which past incidents resemble it. Pure functions over data
//! the adapters read: the local backends and AWS share them.

pub mod subject;

pub use subject::Subject;
