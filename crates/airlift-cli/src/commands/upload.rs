//! `upload`: checks what the server would refuse, then `airlift_desk::ops::upload` (the app's
//! upload too): resumes an interrupted upload of the same file, makes the package; a failed
//! package step keeps the image and this command says how to finish it.

use airlift_desk::hashing::sha256_file;
use airlift_desk::ops::upload::{
    upload_build, BuildRequest, UploadControl, UploadFailure, UploadStage,
};
use airlift_desk::ops::Session;
use airlift_desk::CancelToken;
use serde_json::json;

use super::checks;
use super::package::{describe, existing_same_build, finish_command};
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
    if args.parallel == 0 || args.parallel > 32 {
        return Err(Failure::usage("--parallel must be between 1 and 32"));
    }
    // Ctrl-C pauses: the parts sent stay on the server and the same command resumes them.
    let control = UploadControl::default();
    let on_signal = control.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.pause();
        }
    });

    // Everything the package step could refuse is checked before the first byte moves.
    let signer = if args.no_package {
        None
    } else {
        checks::versions(&args.package)?;
        let signer = super::key::signer(g, &args.package.signing)?;
        let existing = checks::with_server(ctx, &args.package, signer.as_ref(), true).await?;
        if existing.is_some() {
            // A rerun of a step that already published this build answers what it made.
            let digest = sha256_file(&args.file, &CancelToken::new(), |_| {})?;
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
    let package = (!args.no_package).then(|| args.package.spec());
    let mut req = BuildRequest::new(&args.file, &args.name, package);
    req.part_size = args.part_size_mib << 20;
    req.parallel = args.parallel;
    req.key_id = args.package.signing.key.clone();
    req.idempotency_key = ctx.idempotency_key.clone();
    let session = Session {
        client: &ctx.client,
        cache: &cache,
        connection_id: &ctx.connection_id,
    };

    let progress = Progress::new(out.json);
    let on_stage = |stage| {
        if let UploadStage::Transfer(p) = stage {
            progress.show(&p);
        }
    };
    let done = upload_build(session, &req, signer.as_ref(), &control, &on_stage).await;
    progress.finish();
    let (uploaded, published) = match done {
        Ok(done) => (done.upload, done.package),
        Err(UploadFailure::Failed(err)) => return Err(err.into()),
        Err(UploadFailure::Unpackaged { error, image }) => {
            return Err(Failure::Unpackaged {
                error,
                finish: finish_command(&image.id, &args.package),
                image_id: image.id,
            })
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
