//! The command-line side of the `states` interpreter, kept out of the library: `sfn run` /
//! `sfn validate` (`runner`: argument words, shell-command task stubs, Step Functions Local
//! mock configs, a folder per bucket for ItemReader/ResultWriter, the one-line JSON result)
//! and `sfn bench` (`bench`). `media-hub sfn` and `examples/sfn.rs` are thin wiring over it.

pub mod bench;
pub mod runner;
