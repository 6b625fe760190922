//! The device-protocol JSON shapes the simulator exchanges: airlift-core's wire types, the
//! same structs the server serializes (assignment with its unacknowledged `commands`, acks by
//! `command_id`, reports with an idempotency `report_id`).

pub use airlift_core::wire::{CommandKind, DeviceCommand, OtaAssignment, OtaReport};
