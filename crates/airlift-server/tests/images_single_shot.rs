//! Seed 003's single request for small images: `POST /api/v1/ota/images` as multipart form,
//! through real HTTP against the real binary, bad input included. Every refusal leaves no
//! image row, no object and no temporary file.

mod common;

use common::*;
use reqwest::Method;

const BOUNDARY: &str = "airlift-test-boundary";

/// One multipart field: (name, value, is it a file).
fn form(fields: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value, file) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        if *file {
            body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"fw.bin\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
        } else {
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(api: &Api, body: Vec<u8>) -> reqwest::RequestBuilder {
    api.req(Method::POST, "/api/v1/ota/images")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
}

/// Every file under the data directory's objects (temporary multipart writes included).
fn object_files(server: &Server) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&server.data.join("objects"), &mut out);
    out
}

async fn assert_nothing_kept(api: &Api, server: &Server) {
    let list = api.get("/api/v1/ota/images").await.expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");
    let files = object_files(server);
    assert!(files.is_empty(), "files left behind: {files:?}");
}

#[tokio::test]
async fn single_shot_upload_creates_a_hashed_image() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let data = bytes(3 * 1024 * 1024 + 17, 7);
    let r = api
        .send(upload(
            &api,
            form(&[
                ("name", b"fw-3.0.0", false),
                ("description", b"three", false),
                ("datafile_encryption", b"false", false),
                ("datafile", &data, true),
            ]),
        ))
        .await;
    let location = r.headers["location"].to_str().unwrap().to_owned();
    let image = r.expect(201);
    let id = image["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/ota/images/{id}"));
    assert_eq!(image["object"], "firmware-image");
    assert_eq!(image["name"], "fw-3.0.0");
    assert_eq!(image["description"], "three");
    assert_eq!(image["datafile_size"], data.len() as u64);
    assert_eq!(image["datafile_checksum"], sha256_hex(&data));
    assert_eq!(image["datafile_encryption"], false);
    assert_eq!(image["upload_job_id"], "");
    assert_eq!(image["datafile"], format!("airlift://images/{id}"));
    assert_eq!(api.get(&location).await.expect(200), image);

    // The datafile may come first too: the name is then checked once the form is read.
    let small = bytes(1000, 8);
    let second = api
        .send(upload(
            &api,
            form(&[("datafile", &small, true), ("name", b"fw-3.0.1", false)]),
        ))
        .await
        .expect(201);
    assert_eq!(second["datafile_checksum"], sha256_hex(&small));
    assert_eq!(second["description"], "");

    // A package can be made from it like from a job's image.
    let admin = Api::for_tenant(&server, "acme", "admin");
    admin.require_signatures(false).await;
    let package = api
        .post(
            "/api/v1/ota/packages",
            package_body(
                "3.0.0",
                image["datafile"].as_str().unwrap(),
                &sha256_hex(&data),
                data.len() as u64,
            ),
        )
        .await
        .expect(201);
    assert_eq!(package["checksum_verified"], true);
}

#[tokio::test]
async fn bad_forms_are_refused_and_leave_nothing() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let data = bytes(200_000, 1);

    // A truncated form: the body ends inside the datafile.
    let mut truncated = form(&[("name", b"fw", false), ("datafile", &data, true)]);
    truncated.truncate(truncated.len() - 5000);
    api.send(upload(&api, truncated))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert_nothing_kept(&api, &server).await;

    // A missing datafile, a missing name.
    let e = api
        .send(upload(&api, form(&[("name", b"fw", false)])))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(e["message"].as_str().unwrap().contains("datafile"), "{e}");
    let e = api
        .send(upload(&api, form(&[("datafile", &data, true)])))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert!(e["message"].as_str().unwrap().contains("name"), "{e}");
    assert_nothing_kept(&api, &server).await;

    // An unknown field, a field twice, an empty datafile (encrypted too), a bad value (before
    // and after the datafile).
    for fields in [
        vec![
            ("name", &b"fw"[..], false),
            ("colour", b"red", false),
            ("datafile", &data, true),
        ],
        vec![
            ("name", b"fw", false),
            ("name", b"fw2", false),
            ("datafile", &data, true),
        ],
        vec![
            ("name", b"fw", false),
            ("datafile", &data, true),
            ("datafile", &data, true),
        ],
        vec![("name", b"fw", false), ("datafile", b"", true)],
        vec![
            ("name", b"fw", false),
            ("datafile_encryption", b"true", false),
            ("datafile", b"", true),
        ],
        vec![
            ("name", b"fw", false),
            ("datafile", &data, true),
            ("datafile_encryption", b"yes", false),
        ],
        vec![
            ("name", b"fw", false),
            ("datafile_encryption", b"yes", false),
            ("datafile", &data, true),
        ],
        vec![("name", b"bad\x07name", false), ("datafile", &data, true)],
    ] {
        api.send(upload(&api, form(&fields)))
            .await
            .expect_error(400, "INVALID_ARGUMENT");
    }
    // Not multipart at all, and multipart without a boundary.
    api.send(
        api.req(Method::POST, "/api/v1/ota/images")
            .header("content-type", "application/octet-stream")
            .body(data.clone()),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    api.send(
        api.req(Method::POST, "/api/v1/ota/images")
            .header("content-type", "multipart/form-data")
            .body(data.clone()),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    assert_nothing_kept(&api, &server).await;
}

#[tokio::test]
async fn a_taken_name_is_a_conflict_with_jobs_and_images() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let data = bytes(4096, 2);
    api.create_job("from-a-job").await;
    api.send(upload(
        &api,
        form(&[("name", b"single", false), ("datafile", &data, true)]),
    ))
    .await
    .expect(201);
    for name in ["from-a-job", "single", "  single  "] {
        // Name first: refused before the datafile is stored; datafile first: after.
        for fields in [
            vec![
                ("name", name.as_bytes(), false),
                ("datafile", &data[..], true),
            ],
            vec![
                ("datafile", &data[..], true),
                ("name", name.as_bytes(), false),
            ],
        ] {
            api.send(upload(&api, form(&fields)))
                .await
                .expect_error(409, "ALREADY_EXISTS");
        }
    }
    // And an upload job cannot take a single-shot image's name.
    api.post(
        "/api/v1/ota/upload-jobs",
        serde_json::json!({"name": "single"}),
    )
    .await
    .expect_error(409, "ALREADY_EXISTS");
    // Only the first single-shot image exists (the job is not completed), and its object.
    let list = api.get("/api/v1/ota/images").await.expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        object_files(&server).len(),
        1,
        "{:?}",
        object_files(&server)
    );
}

#[tokio::test]
async fn roles_and_tenants() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let data = bytes(4096, 3);
    let support = Api::for_tenant(&server, "acme", "support");
    support
        .send(upload(
            &support,
            form(&[("name", b"fw", false), ("datafile", &data, true)]),
        ))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    let nobody = Api::new(&server, "not-a-token");
    nobody
        .send(upload(
            &nobody,
            form(&[("name", b"fw", false), ("datafile", &data, true)]),
        ))
        .await
        .expect_error(401, "UNAUTHENTICATED");

    let admin = Api::for_tenant(&server, "acme", "admin");
    let image = admin
        .send(upload(
            &admin,
            form(&[("name", b"fw", false), ("datafile", &data, true)]),
        ))
        .await
        .expect(201);
    let id = image["id"].as_str().unwrap();
    // Another tenant neither sees it nor is bothered by its name.
    let other = Api::for_tenant(&server, "globex", "release-manager");
    other
        .get(&format!("/api/v1/ota/images/{id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    other
        .delete(&format!("/api/v1/ota/images/{id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    other
        .send(upload(
            &other,
            form(&[("name", b"fw", false), ("datafile", &data, true)]),
        ))
        .await
        .expect(201);
    let list = support.get("/api/v1/ota/images").await.expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
}

/// Over the cap (here 1 MiB through --max-chunk-bytes; 100 MiB by default): 413, declared
/// or discovered while streaming, and nothing kept.
#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_leaves_nothing() {
    let dir = tempdir();
    let server = Server::start_with(dir.path(), &["--max-chunk-bytes", "1048576"]);
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let big = bytes(3 * 1024 * 1024, 4);

    // Declared by Content-Length: refused before a byte is read.
    let body = form(&[("name", b"big", false), ("datafile", &big, true)]);
    api.send(upload(&api, body.clone()))
        .await
        .expect_error(413, "RESOURCE_EXHAUSTED");
    assert_nothing_kept(&api, &server).await;

    // Streamed without a length: refused once the cap is passed, the partial object dropped.
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let streamed = api
        .req(Method::POST, "/api/v1/ota/images")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            pieces,
        )));
    api.send(streamed)
        .await
        .expect_error(413, "RESOURCE_EXHAUSTED");
    assert_nothing_kept(&api, &server).await;

    // Just under the cap still works.
    let fits = bytes(1024 * 1024 - 1024, 5);
    api.send(upload(
        &api,
        form(&[("name", b"fits", false), ("datafile", &fits, true)]),
    ))
    .await
    .expect(201);
}
