//! One module per subcommand: its arguments and a `run` returning the exit code.

pub mod backfill;
pub mod bench;
pub mod config;
pub mod executions;
pub mod invoke;
pub mod probe;
pub mod reprocess;
pub mod serve;
pub mod sfn;
pub mod thumbnails;
