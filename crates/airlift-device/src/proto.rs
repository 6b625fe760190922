//! The device-protocol JSON shapes: airlift-core's wire types, the same structs the server
//! serializes (assignment with its unacknowledged `commands`, acks by `command_id`, reports
//! with an idempotency `report_id`), and seed 002's statuses.

pub use airlift_core::install_status::InstallStatus;
pub use airlift_core::wire::{
    AssignmentEncryption, CommandKind, DeviceCommand, DeviceCommands, OtaAssignment, OtaReport,
};
