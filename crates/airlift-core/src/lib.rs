//! Airlift's domain model: the rules every other crate obeys.
//!
//! Nothing in this crate does I/O. The server, the simulator, the desktop backend and the CLI
//! all take their rules (state machines, eligibility, auto-pause, error codes) from here, and the
//! JSON shapes they exchange from [`wire`].

pub mod wire;
