use std::path::Path;

use airlift_desk::hashing::sha256_file;
use airlift_desk::CancelToken;
use serde_json::json;

use crate::exit::{Failure, OK};
use crate::output::{bytes, Output};

pub fn run(out: Output, file: &Path) -> Result<u8, Failure> {
    if !file.is_file() {
        return Err(Failure::usage(format!(
            "{} is not a readable file",
            file.display()
        )));
    }
    let digest = sha256_file(file, &CancelToken::new(), |_| {})?;
    let hex = digest.sha256_hex();
    let value = json!({
        "path": file.display().to_string(),
        "size_bytes": digest.size,
        "sha256": hex.as_str(),
    });
    out.result(&value, || {
        format!(
            "{}  {}  ({})",
            hex.as_str(),
            file.display(),
            bytes(digest.size)
        )
    })?;
    Ok(OK)
}
