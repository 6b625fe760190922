//! `upload`: checks what the server would refuse, uploads (resuming an interrupted upload of the
//! same file), then makes the package. A failed package step keeps the image and says how to
//! finish it.

use std::time::{SystemTime, UNIX_EPOCH};

use airlift_desk::hashing::sha256_file;
use airlift_desk::upload::{upload_file, UploadProgress, UploadRequest};
use airlift_desk::CancelToken;
use serde_json::json;

use super::checks;
use super::package::{describe, existing_same_build, finish_command, package_image};
use crate::args::{Global, UploadArgs};
use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::{bytes, Output};
use crate::progress::Progress;

pub async fn run(out: Output, g: &Global, ctx: &Context, args: &UploadArgs) -> Result<u8, Failure> {
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
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });

    // Everything the package step could refuse is checked before the first byte moves.
    let signer = if args.no_package {
        None
    } else {
        checks::versions(&args.package)?;
        let signer = super::key::signer(g, &args.package.signing)?;
        let existing = checks::with_server(ctx, &args.package, signer.as_ref()).await?;
        if existing.is_some() {
            // A rerun of a step that already published this build answers what it made.
            let digest = sha256_file(&args.file, &cancel, |_| {})?;
            if let Some(published) =
                existing_same_build(existing, Some(digest.sha256_hex().as_str()))?
            {
                out.result(
                    &json!({"upload": null, "package": published, "already_published": true}),
                    || {
                        format!(
                            "{}\nalready published from these bytes: nothing was uploaded",
                            describe(&published)
                        )
                    },
                )?;
                return Ok(OK);
            }
        }
        signer
    };

    let cache = ctx.open_cache()?;
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

    let progress = Progress::new(out.json);
    let on_progress = |p: &UploadProgress| progress.show(p);
    let uploaded = upload_file(
        &ctx.client,
        &cache,
        &ctx.connection_id,
        &req,
        cancel,
        &on_progress,
    )
    .await;
    progress.finish();
    let uploaded = uploaded?;
    let published = if args.no_package {
        None
    } else {
        match package_image(
            ctx,
            &uploaded.image,
            &uploaded.sha256,
            signer.as_ref(),
            &args.package,
        )
        .await
        {
            Ok((published, _)) => Some(published),
            Err(error) => {
                return Err(Failure::Unpackaged {
                    error,
                    image_id: uploaded.image.id.clone(),
                    finish: finish_command(&uploaded.image.id, &args.package),
                })
            }
        }
    };
    let value = json!({"upload": uploaded, "package": published, "already_published": false});
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
    })?;
    Ok(OK)
}
