//! Seed 003's 5 MiB minimum for every upload job chunk but the last, with the server's
//! default `--min-chunk-bytes`: refused as early as the information allows, the error names
//! the short chunk, and a refused chunk is not kept.

mod common;

use common::*;

const MIB: usize = 1024 * 1024;

async fn chunk_ids(api: &Api, job: &str) -> Vec<u64> {
    let list = api
        .get(&format!("/api/v1/ota/upload-jobs/{job}/chunks"))
        .await
        .expect(200);
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn only_the_last_chunk_may_be_shorter_than_5_mib() {
    let dir = tempdir();
    let server = Server::start_with(dir.path(), &[]);
    let api = Api::for_tenant(&server, "acme", "release-manager");

    // One short chunk is the last: the job completes.
    let job = api.create_job("small").await;
    let small = bytes(MIB, 1);
    api.post_chunk(&job, &small).await.expect(201);
    api.post_chunk(&job, b"").await.expect(201);

    // 5 MiB then a short last chunk: fine.
    let data = bytes(5 * MIB + MIB / 2, 2);
    let image = api.upload_image_in("big", &data, 5 * MIB).await;
    assert_eq!(image["datafile_checksum"], sha256_hex(&data));

    // A chunk after a short one proves the short one was not the last: refused at once,
    // naming the short chunk, and not kept.
    let job = api.create_job("broken").await;
    api.post_chunk(&job, &bytes(MIB, 3)).await.expect(201);
    let e = api
        .post_chunk(&job, &bytes(MIB, 4))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("chunk 1 holds 1048576 bytes"), "{message}");
    assert!(message.contains("5242880"), "{message}");
    assert_eq!(chunk_ids(&api, &job).await, vec![1]);
    // Re-sending chunk 1 whole repairs the job.
    let fixed = bytes(5 * MIB, 5);
    api.put_part(&job, 1, &fixed).await.expect(200);
    api.post_chunk(&job, &bytes(10, 6)).await.expect(201);
    api.post_chunk(&job, b"").await.expect(201);
}

#[tokio::test]
async fn explicit_parts_obey_it_in_any_order() {
    let dir = tempdir();
    let server = Server::start_with(dir.path(), &[]);
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let job = api.create_job("parts").await;
    api.put_part(&job, 2, &bytes(100, 1)).await.expect(201);
    // A short part 1 while part 2 is held: refused once its length is known.
    let e = api
        .put_part(&job, 1, &bytes(1000, 2))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("chunk 1 holds 1000 bytes"),
        "{e}"
    );
    assert_eq!(chunk_ids(&api, &job).await, vec![2]);
    api.put_part(&job, 1, &bytes(5 * MIB, 3)).await.expect(201);
    // Part 3 after the short part 2: refused before its body is stored.
    let e = api
        .put_part(&job, 3, &bytes(10, 4))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("chunk 2 holds 100 bytes"),
        "{e}"
    );
    api.post_chunk(&job, b"").await.expect(201);
}

#[tokio::test]
async fn the_minimum_is_a_setting() {
    let dir = tempdir();
    let server = Server::start_with(dir.path(), &["--min-chunk-bytes", "1000"]);
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let data = bytes(2500, 1);
    api.upload_image_in("ok", &data, 1000).await;
    let job = api.create_job("short").await;
    api.post_chunk(&job, &bytes(999, 2)).await.expect(201);
    api.post_chunk(&job, &bytes(999, 3))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}
