//! From stored spans to error records: the span writer (bounded queue, group commit), the
//! assembly worker that waits for complete traces, and the pure assembly and grouping logic.

pub mod assembler;
pub mod assembly;
pub mod fingerprint;
pub mod trace_view;
pub mod tree;
pub mod write_thread;
pub mod writer;
