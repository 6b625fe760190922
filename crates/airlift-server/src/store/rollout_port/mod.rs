//! The rollout engine's port: what one transaction over rollouts can read and write.
//!
//! The engine (`crate::engine`) decides; an adapter implements [`RolloutTx`] with plain reads
//! and writes and decides nothing. Every method is a point read, a point write or one
//! set-based statement over a range the engine names, so a report's cost does not depend on
//! the size of its rollout. [`RolloutUnits`] runs a unit of work in one transaction; how units
//! are batched (the report path's group commit) is the adapter's business.

mod records;
mod tx;
mod units;

pub use records::*;
pub use tx::*;
pub use units::*;
