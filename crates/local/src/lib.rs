//! Local adapters for the embedded default: blobs in a folder ([`FsBlobStore`]), the `reels`
//! table and the execution log in one SQLite file ([`SqliteStore`]), and the in-process
//! workflow that runs the ASL definition with the `states` interpreter ([`LocalWorkflow`]).

pub mod backfill;
pub mod blobs;
pub mod db;
pub mod definition;
pub mod direct;
pub mod executions;
pub mod faults;
pub mod invoker;
pub mod objects;
pub mod reels;
pub mod stack;
pub mod test_state;
pub mod workflow;

pub use blobs::FsBlobStore;
pub use db::SqliteStore;
pub use definition::{
    load_definition, substitute_placeholders, DefinitionSource, EMBEDDED_DEFINITION,
};
pub use direct::LocalUploadSigner;
pub use invoker::LambdaInvoker;
pub use stack::{LocalStack, StackError};
pub use workflow::{LocalStarter, LocalWorkflow};
