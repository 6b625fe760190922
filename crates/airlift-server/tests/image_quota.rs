//! `--max-images` (seed 003: at most 1,000 images a tenant, by default): one more image, by a
//! completing job or a single-shot upload, gets 429 RESOURCE_EXHAUSTED; deleting an image frees
//! a place; GET /api/v1/tenant says how many are used. Through real HTTP, real binary.

mod common;

use common::*;
use reqwest::Method;

const BOUNDARY: &str = "quota-boundary";

fn single_shot(api: &Api, name: &str, data: &[u8]) -> reqwest::RequestBuilder {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n{name}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"datafile\"; filename=\"f\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    api.req(Method::POST, "/api/v1/ota/images")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
}

async fn quota(api: &Api) -> (u64, u64) {
    let t = api.get("/api/v1/tenant").await.expect(200);
    (
        t["images"]["used"].as_u64().unwrap(),
        t["images"]["max"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn the_default_quota_is_1000() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "support");
    assert_eq!(quota(&api).await, (0, 1000));
}

#[tokio::test]
async fn concurrent_completions_never_exceed_the_quota() {
    let dir = tempdir();
    let server = Server::start_with(dir.path(), &["--max-images", "3"]);
    let api = Api::for_tenant(&server, "acme", "release-manager");
    assert_eq!(quota(&api).await, (0, 3));

    // Eight jobs with data, and four single-shot uploads, all racing for three places.
    let mut jobs = Vec::new();
    for i in 0..8 {
        let job = api.create_job(&format!("job-{i}")).await;
        api.post_chunk(&job, &bytes(2048, i)).await.expect(201);
        jobs.push(job);
    }
    let completions = jobs.iter().map(|job| api.post_chunk(job, b""));
    let uploads = (0..4).map(|i| {
        let data = bytes(1024, 100 + i);
        let api = &api;
        async move {
            api.send(single_shot(api, &format!("single-{i}"), &data))
                .await
        }
    });
    let (completed, uploaded) = tokio::join!(
        futures_util::future::join_all(completions),
        futures_util::future::join_all(uploads)
    );
    let mut created = 0;
    for r in completed.into_iter().chain(uploaded) {
        match r.status.as_u16() {
            201 => created += 1,
            _ => {
                r.expect_error(429, "RESOURCE_EXHAUSTED");
            }
        }
    }
    assert_eq!(created, 3);
    let list = api.get("/api/v1/ota/images").await.expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 3, "{list}");
    assert_eq!(quota(&api).await, (3, 3));

    // A refused job stays open with its data, so it can complete once a place is free.
    let open: Vec<&String> = {
        let mut open = Vec::new();
        for job in &jobs {
            let j = api
                .get(&format!("/api/v1/ota/upload-jobs/{job}"))
                .await
                .expect(200);
            if j["status"] == "in_progress" {
                assert_eq!(j["chunk_count"], 1, "{j}");
                open.push(job);
            }
        }
        open
    };
    assert!(!open.is_empty());
    let victim = list["data"][0]["id"].as_str().unwrap();
    api.delete(&format!("/api/v1/ota/images/{victim}"))
        .await
        .expect(204);
    assert_eq!(quota(&api).await, (2, 3));
    api.post_chunk(open[0], b"").await.expect(201);
    assert_eq!(quota(&api).await, (3, 3));
    api.send(single_shot(&api, "one-more", b"x"))
        .await
        .expect_error(429, "RESOURCE_EXHAUSTED");

    // The quota is per tenant.
    let other = Api::for_tenant(&server, "globex", "release-manager");
    other
        .send(single_shot(&other, "one-more", b"x"))
        .await
        .expect(201);
    assert_eq!(quota(&other).await, (1, 3));
}
