//! `image list | delete` and `upload-job list | delete`: finding uploads a failed package step
//! left behind, and clearing images and upload jobs no one needs.

use std::collections::HashSet;

use serde_json::json;

use super::pages;
use crate::args::{ImageCommand, UploadJobCommand};
use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::{bytes, Output};

pub async fn run(out: Output, ctx: &Context, cmd: &ImageCommand) -> Result<u8, Failure> {
    let client = &ctx.client;
    match cmd {
        ImageCommand::List => {
            let images =
                pages::all(|p| async move { client.images(&p).await }, |i| i.id.clone()).await?;
            let packages = pages::all(
                |p| async move { client.packages(&p).await },
                |p| p.package_id.clone(),
            )
            .await?;
            let used: HashSet<&str> = packages.iter().map(|p| p.artifact_uri.as_str()).collect();
            let rows: Vec<_> = images
                .iter()
                .map(|i| json!({"image": i, "packaged": used.contains(i.datafile.as_str())}))
                .collect();
            out.result(&json!({"images": rows}), || {
                if images.is_empty() {
                    return "no images".to_owned();
                }
                images
                    .iter()
                    .map(|i| {
                        format!(
                            "{}  {}  {}  sha256 {}  {}",
                            i.id,
                            i.name,
                            bytes(i.datafile_size),
                            &i.datafile_checksum[..16.min(i.datafile_checksum.len())],
                            if used.contains(i.datafile.as_str()) {
                                "packaged"
                            } else {
                                "no package (airlift-cli package create --image ID ...)"
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        ImageCommand::Delete { image_id } => {
            client.delete_image(image_id).await?;
            out.result(&json!({"deleted": image_id}), || {
                format!("deleted image {image_id}")
            })?;
        }
    }
    Ok(OK)
}

pub async fn run_jobs(out: Output, ctx: &Context, cmd: &UploadJobCommand) -> Result<u8, Failure> {
    let client = &ctx.client;
    match cmd {
        UploadJobCommand::List => {
            let jobs = pages::all(
                |p| async move { client.upload_jobs(&p).await },
                |j| j.id.clone(),
            )
            .await?;
            out.result(&json!({"upload_jobs": jobs}), || {
                if jobs.is_empty() {
                    return "no upload jobs".to_owned();
                }
                jobs.iter()
                    .map(|j| {
                        let image = if j.firmware_image_id.is_empty() {
                            "no image yet".to_owned()
                        } else {
                            format!("image {}", j.firmware_image_id)
                        };
                        format!(
                            "{}  {}  {}  {} received in {} parts  {image}",
                            j.id,
                            j.name,
                            if j.completed {
                                "completed"
                            } else {
                                "not completed"
                            },
                            bytes(j.bytes_received),
                            j.chunk_count
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        UploadJobCommand::Delete { upload_job_id } => {
            client.delete_upload_job(upload_job_id).await?;
            out.result(&json!({"deleted": upload_job_id}), || {
                format!("deleted upload job {upload_job_id}")
            })?;
        }
    }
    Ok(OK)
}
