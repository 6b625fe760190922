//! A single-shot image just under the 100 MiB cap is streamed to storage, not held: the
//! server's peak memory stays well below the body's size.

mod common;

use airlift_server::hashing::Sha256;
use bytes::Bytes;
use common::*;
use reqwest::Method;

const MIB: usize = 1024 * 1024;
/// 99 MiB of datafile: with the form's few hundred bytes, under the default 100 MiB cap.
const DATA_MIB: usize = 99;

fn mib(base: &[u8], i: usize) -> Bytes {
    let mut block = base.to_vec();
    block[..8].copy_from_slice(&(i as u64).to_le_bytes());
    Bytes::from(block)
}

#[tokio::test]
async fn a_99_mib_image_is_streamed_with_bounded_memory() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let base = bytes(MIB, 99);
    let mut whole = Sha256::new();
    for i in 0..DATA_MIB {
        whole.update(&mib(&base, i));
    }
    let expected = hex::encode(whole.finish());

    let boundary = "mem-boundary";
    let head = Bytes::from(format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nbig\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"datafile\"; filename=\"fw\"\r\n\r\n"
    ));
    let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
    let body = futures_util::stream::iter(
        std::iter::once(head)
            .chain((0..DATA_MIB).map(move |i| mib(&base, i)))
            .chain(std::iter::once(tail))
            .map(Ok::<_, std::io::Error>),
    );
    let image = api
        .send(
            api.req(Method::POST, "/api/v1/ota/images")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(reqwest::Body::wrap_stream(body)),
        )
        .await
        .expect(201);
    assert_eq!(image["datafile_size"], (DATA_MIB * MIB) as u64);
    assert_eq!(image["datafile_checksum"], expected);

    let peak_kib = server.peak_rss_kib();
    println!(
        "airliftd peak RSS (VmHWM) after a 99 MiB single-shot image: {:.1} MiB",
        peak_kib as f64 / 1024.0
    );
    // Holding the body would need at least 99 MiB on its own.
    assert!(
        peak_kib < 90 * 1024,
        "peak RSS {peak_kib} KiB: the body was not streamed"
    );
}
