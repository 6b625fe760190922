//! The device-protocol JSON shapes the simulator exchanges (spec "Device side" plus the
//! server's persistent-command design: `commands` on the assignment, ack by id, `report_id`).
//!
//! These mirror `airlift_core::wire::{OtaAssignment, DeviceCommand, CommandKind, OtaReport}`
//! field for field; they live here until those wire types are committed, and then this file
//! becomes a re-export of them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    OtaStart,
    OtaRollback,
}

impl CommandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::OtaStart => "ota_start",
            CommandKind::OtaRollback => "ota_rollback",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCommand {
    pub command_id: String,
    pub kind: CommandKind,
    pub rollout_id: String,
    pub package_id: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtaAssignment {
    pub package_id: String,
    pub version: String,
    pub size_bytes: u64,
    pub checksum: String,
    pub signature: Option<String>,
    pub rollout_id: String,
    pub command: CommandKind,
    #[serde(default)]
    pub commands: Vec<DeviceCommand>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtaReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    pub rollout_id: String,
    pub firmware_version: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u32>,
}
