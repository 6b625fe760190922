//! IPC commands the UI may call. Each is granted by name in tauri.conf.json's capability and
//! listed in build.rs's AppManifest; each only adapts arguments to `airlift-desk` and back.

pub mod app;
pub mod audit;
pub mod catalog;
pub mod connections;
pub mod dashboard;
pub mod demo;
pub mod devices;
pub mod payloads;
pub mod rollout_analytics;
pub mod rollouts;
pub mod signing;
pub mod tokens;
pub mod upload;
