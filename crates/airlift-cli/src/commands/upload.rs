use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use airlift_desk::cache::Cache;
use airlift_desk::upload::{publish, upload_file, UploadProgress, UploadRequest};
use airlift_desk::CancelToken;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::package::{describe, signer, spec};
use crate::args::{Global, UploadArgs};
use crate::context::Context;
use crate::exit::Failure;
use crate::output::{bytes, Output};

pub async fn run(
    out: Output,
    g: &Global,
    ctx: &Context,
    cache: &Mutex<Cache>,
    args: &UploadArgs,
) -> Result<(), Failure> {
    if !args.file.is_file() {
        return Err(Failure::usage(format!(
            "{} is not a readable file",
            args.file.display()
        )));
    }
    if args.part_size_mib == 0 || args.part_size_mib > 100 {
        return Err(Failure::usage("--part-size-mib must be between 1 and 100"));
    }
    if args.parallel == 0 || args.parallel > 32 {
        return Err(Failure::usage("--parallel must be between 1 and 32"));
    }
    // Unlock the key first: a wrong passphrase should fail before gigabytes move.
    let signer = if args.no_package {
        None
    } else {
        signer(g, &args.package)?
    };
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut req = UploadRequest::new(
        &args.file,
        &format!("{}-{}-{stamp}", args.name, args.package.version),
    );
    req.part_size = args.part_size_mib << 20;
    req.parallel = args.parallel;
    req.description = format!("{} {}", args.name, args.package.version);

    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let bar = progress_bar(out.json);
    let shown = bar.clone();
    let on_progress = move |p: &UploadProgress| show(&shown, p);
    let uploaded = upload_file(
        &ctx.client,
        cache,
        &ctx.connection_id,
        &req,
        cancel,
        &on_progress,
    )
    .await;
    bar.finish_and_clear();
    let uploaded = uploaded?;
    let published = if args.no_package {
        None
    } else {
        Some(
            publish(
                &ctx.client,
                &uploaded.image,
                &uploaded.sha256,
                signer.as_ref(),
                &spec(&args.package),
            )
            .await?,
        )
    };
    let value = json!({"upload": uploaded, "package": published});
    out.result(&value, || {
        let mut text = format!(
            "uploaded {} ({}) as image {}{}: sha256 {} ({} parts sent, {} already on the server)",
            args.file.display(),
            bytes(uploaded.size_bytes),
            uploaded.image.id,
            if uploaded.resumed { ", resumed" } else { "" },
            uploaded.sha256,
            uploaded.parts_sent,
            uploaded.parts_skipped
        );
        if let Some(p) = &published {
            text.push('\n');
            text.push_str(&describe(p));
        }
        text
    })
}

fn progress_bar(json: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if json {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{bar:40}] {bytes}/{total_bytes} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn show(bar: &ProgressBar, p: &UploadProgress) {
    bar.set_length(p.total_bytes);
    bar.set_position(p.done_bytes);
    let eta = p.eta_secs.map_or(String::new(), |s| {
        format!(", {}:{:02} left", s / 60, s % 60)
    });
    bar.set_message(format!(
        "{}/s, part {}/{}, hashed {}{eta}",
        bytes(p.bytes_per_sec as u64),
        p.parts_done,
        p.parts_total,
        bytes(p.hashed_bytes)
    ));
}
