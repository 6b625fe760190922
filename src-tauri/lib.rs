//! The Tauri shell. It only adapts: each command turns IPC arguments into a call on the
//! Tauri-free crates under `crates/` and their result into JSON (errors as `{code, message}`).

#[cfg(test)]
mod bindings;
mod cache_check;
mod commands;
#[cfg(test)]
mod commands_ts;
mod demo;
mod dialog;
pub mod dto;
mod env;
mod state;
mod validate;
mod watch;

use airlift_desk::client::RateLimitObserver;
use tauri::Manager as _;

/// Every command the UI may call; build.rs lists the same names for the capability.
macro_rules! app_commands {
    () => {
        tauri::generate_handler![
            commands::app::app_info,
            commands::connections::connections_list,
            commands::connections::connection_test,
            commands::connections::connection_add,
            commands::connections::connection_switch,
            commands::connections::connection_remove,
            commands::connections::pick_ca_cert,
            commands::connections::ca_cert_describe,
            commands::demo::demo_start,
            commands::demo::demo_stop,
            commands::catalog::catalog_cached,
            commands::catalog::catalog_refresh,
            commands::catalog::package_detail,
            commands::payloads::inline_package_create,
            commands::upload::pick_file,
            commands::upload::hash_file,
            commands::upload::signing_keys,
            commands::upload::upload_package,
            commands::upload::upload_pause,
            commands::upload::image_quota,
            commands::upload::upload_cancel,
            commands::upload::pending_upload,
            commands::upload::pending_upload_discard,
            commands::rollouts::rollouts_cached,
            commands::rollouts::rollouts_refresh,
            commands::rollouts::rollout_detail,
            commands::rollouts::rollout_devices,
            commands::rollouts::rollout_targets,
            commands::rollouts::rollout_preview,
            commands::rollouts::rollout_start,
            commands::rollouts::rollout_act,
            commands::rollouts::rollout_retry_failed,
            commands::rollout_analytics::rollout_progress,
            commands::rollout_analytics::rollout_failures,
            commands::app::first_paint,
            commands::signing::pick_key_file,
            commands::signing::signing_key_create,
            commands::signing::signing_key_import,
            commands::signing::signing_key_registrations,
            commands::signing::signing_key_register,
            commands::tokens::api_tokens_list,
            commands::tokens::api_token_create,
            commands::tokens::api_token_revoke,
            commands::devices::devices_search,
            commands::devices::devices_overview,
            commands::devices::devices_refresh,
            commands::devices::device_detail,
            commands::devices::device_history_export,
            commands::devices::app_events_subscribe,
            commands::dashboard::dashboard_cached,
            commands::dashboard::dashboard_refresh,
            commands::dashboard::cache_summary,
            commands::audit::audit_page,
            commands::audit::audit_access,
        ]
    };
}

/// Builds and runs the desktop app until its last window closes.
pub fn run() -> tauri::Result<()> {
    let app = tauri::Builder::default()
        .setup(|app| {
            let paths = state::Paths::resolve(app.path().app_data_dir().ok())?;
            let state = state::AppState::open(paths)?;
            // A call waiting out the server's Retry-After is shown where errors are.
            let handle = app.handle().clone();
            let _ = state
                .on_rate_limited
                .set(RateLimitObserver::new(move |wait| {
                    if let Some(events) = handle.try_state::<watch::Events>() {
                        events.send(dto::devices::AppEvent::RateLimited {
                            call: wait.call.clone(),
                            retry_in_seconds: wait.wait.as_secs().max(1),
                        });
                    }
                }));
            // A refused token (revoked or expired) is told to the UI once: the banner and the
            // status bar read the state's record from then on.
            let handle = app.handle().clone();
            let _ = state
                .on_token_refused
                .set(std::sync::Arc::new(move |refused| {
                    if let Some(events) = handle.try_state::<watch::Events>() {
                        events.send(dto::devices::AppEvent::TokenRefused {
                            connection: refused.connection.clone(),
                            message: refused.message.clone(),
                        });
                    }
                }));
            app.manage(state);
            app.manage(watch::Events::default());
            // Auto-pause notifications for the active connection, as long as the app runs.
            watch::start(app.handle().clone());
            // Every page of the cache, checked after start-up instead of before it.
            cache_check::start(app.handle().clone());
            Ok(())
        })
        .invoke_handler(app_commands!())
        .build(tauri::generate_context!())?;
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Stop the demo fleet with the app.
            if let Some(state) = handle.try_state::<state::AppState>() {
                if let Ok(mut demo) = state.demo.lock() {
                    if let Some(d) = demo.as_mut() {
                        d.stop();
                    }
                }
            }
        }
    });
    Ok(())
}
