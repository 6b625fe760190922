//! A 1 GiB upload through parallel parts completes with bounded server memory.

mod common;

use std::time::Instant;

use airlift_server::hashing::Sha256;
use bytes::Bytes;
use common::*;
use md5::{Digest as _, Md5};

const MIB: usize = 1024 * 1024;
const TOTAL_MIB: usize = 1024;
const PART_MIB: usize = 64;
const PARALLEL: usize = 4;

/// MiB number `i` of the artifact: a fixed random MiB with `i` stamped in its first bytes, so
/// every MiB differs and nothing of 1 GiB is ever held in memory.
fn mib(base: &[u8], i: usize) -> Bytes {
    let mut block = base.to_vec();
    block[..8].copy_from_slice(&(i as u64).to_le_bytes());
    Bytes::from(block)
}

#[tokio::test]
async fn one_gib_upload_with_bounded_memory() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let base = bytes(MIB, 4242);
    let parts = TOTAL_MIB / PART_MIB;

    // Client side: per-part MD5s and the whole SHA-256, generated on the fly.
    let started = Instant::now();
    let mut whole = Sha256::new();
    let mut md5s = Vec::new();
    for p in 0..parts {
        let mut h = Md5::new();
        for i in p * PART_MIB..(p + 1) * PART_MIB {
            let block = mib(&base, i);
            h.update(&block);
            whole.update(&block);
        }
        md5s.push(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            h.finalize(),
        ));
    }
    let expected = hex::encode(whole.finish());
    eprintln!("hashed 1 GiB client-side in {:?}", started.elapsed());

    let job = api.create_job("one-gib").await;
    let started = Instant::now();
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut tasks = Vec::new();
    // Highest part first: out of order on purpose.
    for p in (0..parts).rev() {
        let permit = sem.clone().acquire_owned().await.unwrap();
        let (api, job, base, md5) = (api.clone(), job.clone(), base.clone(), md5s[p].clone());
        tasks.push(tokio::spawn(async move {
            let blocks = (p * PART_MIB..(p + 1) * PART_MIB)
                .map(move |i| Ok::<_, std::io::Error>(mib(&base, i)));
            let r = api
                .send(
                    api.req(
                        reqwest::Method::PUT,
                        &format!("/api/v1/ota/upload-jobs/{job}/chunks/{}", p + 1),
                    )
                    .header("content-md5", md5)
                    .header("content-length", (PART_MIB * MIB).to_string())
                    .body(reqwest::Body::wrap_stream(
                        futures_util::stream::iter(blocks),
                    )),
                )
                .await;
            drop(permit);
            r.expect(201)
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    eprintln!(
        "uploaded 1 GiB in {} parts ({PARALLEL} in parallel) in {:?}",
        parts,
        started.elapsed()
    );
    let started = Instant::now();
    api.post_chunk(&job, b"").await.expect(201);
    eprintln!("assembled and hashed in {:?}", started.elapsed());

    let job_body = api
        .get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(200);
    let image = api
        .get(&format!(
            "/api/v1/ota/images/{}",
            job_body["firmware_image_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(image["datafile_size"], (TOTAL_MIB * MIB) as u64);
    assert_eq!(image["datafile_checksum"], expected);

    let peak_kib = server.peak_rss_kib();
    eprintln!(
        "airliftd peak RSS (VmHWM) after the 1 GiB upload: {:.1} MiB",
        peak_kib as f64 / 1024.0
    );
    println!(
        "airliftd peak RSS (VmHWM) after the 1 GiB upload: {:.1} MiB",
        peak_kib as f64 / 1024.0
    );
    assert!(
        peak_kib < 200 * 1024,
        "peak RSS {peak_kib} KiB is not bounded"
    );
}
