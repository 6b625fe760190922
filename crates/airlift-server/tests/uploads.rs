//! Seed 003's upload jobs on /api/v1/ota/upload-jobs, plus parallel parts and resume.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn seed_003_upload_job_lifecycle() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");

    let created = api
        .post(
            "/api/v1/ota/upload-jobs",
            json!({"name": "fw-2.0.0", "description": "d"}),
        )
        .await;
    let location = created.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(created.headers["content-location"], location.as_str());
    let job = created.expect(201);
    let id = job["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/ota/upload-jobs/{id}"));
    assert_eq!(job["status"], "not_started");
    assert_eq!(job["completed"], false);
    assert_eq!(job["firmware_image_id"], "");
    assert_eq!(job["object"], "upload-job");

    // Every chunk but the last holds at least seed 003's 5 MiB.
    let a = bytes(MIN_CHUNK, 1);
    let b = bytes(19, 2);
    let c1 = api.post_chunk(id, &a).await;
    assert_eq!(
        c1.headers["location"].to_str().unwrap(),
        format!("/api/v1/ota/upload-jobs/{id}/chunks/1")
    );
    let c1 = c1.expect(201);
    assert_eq!(c1["id"], 1);
    assert_eq!(c1["length"], MIN_CHUNK);
    assert_eq!(
        c1["hash"],
        hex::encode(<md5::Md5 as md5::Digest>::digest(&a))
    );
    assert_eq!(api.post_chunk(id, &b).await.expect(201)["id"], 2);
    assert_eq!(
        api.get(&format!("/api/v1/ota/upload-jobs/{id}"))
            .await
            .expect(200)["status"],
        "in_progress"
    );

    // Chunk listing, seed 003's list shape.
    let list = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}/chunks"))
        .await
        .expect(200);
    assert_eq!(list["object"], "list");
    assert_eq!(list["order"], "ASC");
    assert_eq!(list["limit"], 50);
    assert_eq!(list["has_more"], false);
    assert!(list["after"].is_null());
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["data"][1]["length"], 19);
    let one = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}/chunks/2"))
        .await
        .expect(200);
    assert_eq!(one["hash"], list["data"][1]["hash"]);
    api.get(&format!("/api/v1/ota/upload-jobs/{id}/chunks/9"))
        .await
        .expect_error(404, "NOT_FOUND");
    let paged = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}/chunks?limit=1"))
        .await
        .expect(200);
    assert_eq!(paged["has_more"], true);
    assert_eq!(paged["data"].as_array().unwrap().len(), 1);

    // The zero-length chunk completes the job: id 3, length 0.
    let done = api.post_chunk(id, b"").await.expect(201);
    assert_eq!(done["id"], 3);
    assert_eq!(done["length"], 0);
    assert_eq!(done["hash"], "d41d8cd98f00b204e9800998ecf8427e");
    let job = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}"))
        .await
        .expect(200);
    assert_eq!(job["status"], "completed");
    assert_eq!(job["completed"], true);
    let image_id = job["firmware_image_id"].as_str().unwrap();
    assert!(!image_id.is_empty());
    // After completion there are no chunks left to list.
    let list = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}/chunks"))
        .await
        .expect(200);
    assert_eq!(list["data"], json!([]));

    let mut whole = a.clone();
    whole.extend_from_slice(&b);
    let image = api
        .get(&format!("/api/v1/ota/images/{image_id}"))
        .await
        .expect(200);
    assert_eq!(image["datafile_size"], MIN_CHUNK + 19);
    assert_eq!(image["datafile_checksum"], sha256_hex(&whole));
    assert_eq!(image["datafile"], format!("airlift://images/{image_id}"));
    assert_eq!(image["name"], "fw-2.0.0");
    assert_eq!(image["object"], "firmware-image");

    // Posting to a completed job is 400.
    api.post_chunk(id, &a)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    api.post_chunk(id, b"")
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    // Listing jobs.
    let jobs = api.get("/api/v1/ota/upload-jobs").await.expect(200);
    assert_eq!(jobs["object"], "list");
    assert_eq!(jobs["data"].as_array().unwrap().len(), 1);
    let images = api.get("/api/v1/ota/images").await.expect(200);
    assert_eq!(images["data"][0]["id"], image_id);
}

#[tokio::test]
async fn bad_chunks_and_names_are_refused() {
    let dir = tempdir();
    let server = Server::start_with(
        dir.path(),
        &["--max-chunk-bytes", "1048576", "--max-json-bytes", "65536"],
    );
    let api = Api::for_tenant(&server, "acme", "admin");
    let id = api.create_job("one").await;

    // Duplicate name (job) → 409.
    api.post("/api/v1/ota/upload-jobs", json!({"name": "one"}))
        .await
        .expect_error(409, "ALREADY_EXISTS");

    // Empty first chunk → 400 (no data to complete).
    api.post_chunk(&id, b"")
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    // Wrong Content-MD5 → 400, and the chunk is not kept.
    let data = bytes(1000, 3);
    let wrong = api
        .send(
            api.req(
                Method::POST,
                &format!("/api/v1/ota/upload-jobs/{id}/chunks"),
            )
            .header("content-md5", content_md5(b"something else"))
            .body(data.clone()),
        )
        .await;
    wrong.expect_error(400, "INVALID_ARGUMENT");
    // Missing and malformed Content-MD5 → 400.
    api.send(
        api.req(
            Method::POST,
            &format!("/api/v1/ota/upload-jobs/{id}/chunks"),
        )
        .body(data.clone()),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    api.send(
        api.req(
            Method::POST,
            &format!("/api/v1/ota/upload-jobs/{id}/chunks"),
        )
        .header("content-md5", "not base64!")
        .body(data.clone()),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    let list = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}/chunks"))
        .await
        .expect(200);
    assert_eq!(list["data"], json!([]), "a refused chunk must not be kept");

    // Oversized chunk → 413 RESOURCE_EXHAUSTED (declared length and streamed length).
    let big = bytes(1024 * 1024 + 1, 4);
    api.post_chunk(&id, &big)
        .await
        .expect_error(413, "RESOURCE_EXHAUSTED");
    let stream = futures_util::stream::iter(
        big.chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    api.send(
        api.req(
            Method::POST,
            &format!("/api/v1/ota/upload-jobs/{id}/chunks"),
        )
        .header("content-md5", content_md5(&big))
        .body(reqwest::Body::wrap_stream(stream)),
    )
    .await
    .expect_error(413, "RESOURCE_EXHAUSTED");
    let job = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}"))
        .await
        .expect(200);
    assert_eq!(job["chunk_count"], 0);

    // A name used by an image → 409 as well.
    api.post_chunk(&id, &data).await.expect(201);
    api.post_chunk(&id, b"").await.expect(201);
    api.delete(&format!("/api/v1/ota/upload-jobs/{id}"))
        .await
        .expect(204);
    api.post("/api/v1/ota/upload-jobs", json!({"name": "one"}))
        .await
        .expect_error(409, "ALREADY_EXISTS");

    // Malformed JSON, unknown fields, wrong types → 400 INVALID_ARGUMENT.
    api.send(
        api.req(Method::POST, "/api/v1/ota/upload-jobs")
            .header("content-type", "application/json")
            .body("{\"name\": "),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    api.post(
        "/api/v1/ota/upload-jobs",
        json!({"name": "x", "colour": "red"}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    api.post("/api/v1/ota/upload-jobs", json!({"name": 5}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    api.send(
        api.req(Method::POST, "/api/v1/ota/upload-jobs")
            .body("{\"name\": \"x\"}"),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // A JSON body over --max-json-bytes → 413 RESOURCE_EXHAUSTED.
    let huge = "d".repeat(70_000);
    api.post(
        "/api/v1/ota/upload-jobs",
        json!({"name": "big", "description": huge}),
    )
    .await
    .expect_error(413, "RESOURCE_EXHAUSTED");

    // Seed 003: the name defaults to "" (and is then taken, like any name).
    let unnamed = api
        .post("/api/v1/ota/upload-jobs", json!({}))
        .await
        .expect(201);
    assert_eq!(unnamed["name"], "");
    assert_eq!(unnamed["description"], "");
    api.post("/api/v1/ota/upload-jobs", json!({"description": "again"}))
        .await
        .expect_error(409, "ALREADY_EXISTS");

    // Unknown job → 404; delete → 204 then 404.
    api.post_chunk("job_nope", &data)
        .await
        .expect_error(404, "NOT_FOUND");
    let other = api.create_job("two").await;
    api.post_chunk(&other, &data).await.expect(201);
    api.delete(&format!("/api/v1/ota/upload-jobs/{other}"))
        .await
        .expect(204);
    api.get(&format!("/api/v1/ota/upload-jobs/{other}"))
        .await
        .expect_error(404, "NOT_FOUND");
    api.delete(&format!("/api/v1/ota/upload-jobs/{other}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn parallel_out_of_order_parts_and_resume() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let id = api.create_job("parallel").await;
    let parts: Vec<Vec<u8>> = (0..8)
        .map(|i| bytes(MIN_CHUNK + i * 7, 10 + i as u64))
        .collect();

    // Send parts 8..1 except 3 and 6, all at once.
    let mut tasks = Vec::new();
    for n in (1..=8u32).rev().filter(|n| *n != 3 && *n != 6) {
        let api = api.clone();
        let id = id.clone();
        let data = parts[n as usize - 1].clone();
        tasks.push(tokio::spawn(async move {
            api.put_part(&id, n, &data).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }

    // Completing with gaps is refused and names them.
    let gap = api
        .post_chunk(&id, b"")
        .await
        .expect_error(409, "FAILED_PRECONDITION");
    let msg = gap["message"].as_str().unwrap();
    assert!(msg.contains('3') && msg.contains('6'), "{msg}");

    // Resume: the listing says what the server holds; send the rest.
    let list = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}/chunks"))
        .await
        .expect(200);
    let held: Vec<u64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(held, vec![1, 2, 4, 5, 7, 8]);
    for c in list["data"].as_array().unwrap() {
        let n = c["id"].as_u64().unwrap() as usize;
        assert_eq!(
            c["hash"],
            hex::encode(<md5::Md5 as md5::Digest>::digest(&parts[n - 1]))
        );
    }
    // Re-sending a held part replaces it (200), a new one is created (201).
    assert_eq!(api.put_part(&id, 2, &parts[1]).await.status, 200);
    for n in [3u32, 6] {
        api.put_part(&id, n, &parts[n as usize - 1])
            .await
            .expect(201);
    }
    api.put_part(&id, 0, b"x")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    api.put_part(&id, 4, b"")
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    let done = api.post_chunk(&id, b"").await.expect(201);
    assert_eq!(done["id"], 9);
    let job = api
        .get(&format!("/api/v1/ota/upload-jobs/{id}"))
        .await
        .expect(200);
    let image = api
        .get(&format!(
            "/api/v1/ota/images/{}",
            job["firmware_image_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let whole: Vec<u8> = parts.concat();
    assert_eq!(image["datafile_size"], whole.len());
    assert_eq!(image["datafile_checksum"], sha256_hex(&whole));
    api.put_part(&id, 1, &parts[0])
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}
