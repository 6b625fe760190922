//! Package payload types (seed 002): `FILE` (an artifact, as seed 000), `JSON` (an inline
//! object) and `URL_LIST` (files the server fetches, verifies and serves itself).
//!
//! A JSON or URL_LIST package has no artifact of its own: what its `sha256` and signature cover
//! is the payload's RFC 8785 canonical JSON ([`canonical_json`]), so the server, a client that
//! signs and a device that verifies all hash the same bytes, whatever spacing or key order the
//! request had. Errors are `INVALID_ARGUMENT` and name the entry and field.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;
use crate::package::{quoted, Sha256Hex, MAX_ARTIFACT_BYTES};

/// Seed 002's OTAU package types (`payload_type` on a package, `type` in `config_otau`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayloadType {
    /// A flat file: the package's artifact (the default, seed 000's packages).
    #[default]
    File,
    /// An inline JSON object; nothing to download.
    Json,
    /// A list of files, each fetched and verified by the server before the package exists.
    UrlList,
}

impl PayloadType {
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadType::File => "FILE",
            PayloadType::Json => "JSON",
            PayloadType::UrlList => "URL_LIST",
        }
    }

    pub fn is_file(&self) -> bool {
        *self == PayloadType::File
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PayloadType {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "FILE" => Ok(PayloadType::File),
            "JSON" => Ok(PayloadType::Json),
            "URL_LIST" => Ok(PayloadType::UrlList),
            other => Err(ApiError::invalid_argument(format!(
                "payload_type must be \"FILE\", \"JSON\" or \"URL_LIST\", got {}",
                quoted(other)
            ))),
        }
    }
}

/// Largest JSON payload, measured as its canonical JSON (the bytes its `sha256` covers).
pub const MAX_JSON_PAYLOAD_BYTES: usize = 64 * 1024;
/// A URL list holds 1 to this many files.
pub const MAX_URL_LIST_ENTRIES: usize = 64;
/// Longest accepted URL in a list.
pub const MAX_URL_CHARS: usize = 2048;

/// One file of a URL list: where the server fetches it, and what it must hash to and weigh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlListEntry {
    pub url: String,
    pub sha256: Sha256Hex,
    pub size_bytes: u64,
}

/// A JSON or URL_LIST payload that passed its rules, with the bytes its `sha256` and signature
/// cover.
#[derive(Debug, Clone, PartialEq)]
pub struct InlinePayload {
    pub kind: InlineKind,
    /// The payload's RFC 8785 canonical JSON (URL_LIST: of the normalized list, checksums in
    /// lowercase).
    pub canonical: Vec<u8>,
    /// SHA-256 of `canonical`: the package's `sha256`.
    pub sha256: Sha256Hex,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InlineKind {
    Json(Map<String, Value>),
    UrlList(Vec<UrlListEntry>),
}

impl InlinePayload {
    /// The 32-byte digest a signature is checked against (as an artifact's SHA-256 is).
    pub fn digest(&self) -> [u8; 32] {
        self.sha256.to_bytes()
    }

    /// `canonical` as text (canonical JSON is UTF-8 by definition).
    pub fn canonical_text(&self) -> String {
        String::from_utf8_lossy(&self.canonical).into_owned()
    }
}

/// RFC 8785 canonical JSON of `value`.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| {
        ApiError::invalid_argument(format!(
            "payload cannot be written as canonical JSON (RFC 8785): {e}"
        ))
    })
}

/// SHA-256 of `value`'s canonical JSON: a JSON or URL_LIST package's `sha256`.
pub fn canonical_sha256<T: Serialize>(value: &T) -> Result<Sha256Hex, ApiError> {
    let bytes = canonical_json(value)?;
    Ok(Sha256Hex::from_digest(&Sha256::digest(&bytes).into()))
}

/// Validates a request's `payload` for a JSON or URL_LIST package. A FILE package carries no
/// payload: its bytes are its artifact.
pub fn parse_inline(
    payload_type: PayloadType,
    payload: Option<&Value>,
) -> Result<InlinePayload, ApiError> {
    let Some(value) = payload else {
        return Err(ApiError::invalid_argument(match payload_type {
            PayloadType::UrlList => {
                "payload is required for a URL_LIST package: a list of {\"url\", \"sha256\", \"size_bytes\"}"
            }
            _ => "payload is required for a JSON package: a JSON object",
        }));
    };
    match payload_type {
        PayloadType::File => Err(ApiError::invalid_argument(
            "a FILE package has no payload: its bytes come from artifact_uri",
        )),
        PayloadType::Json => parse_json(value),
        PayloadType::UrlList => parse_url_list(value),
    }
}

fn parse_json(value: &Value) -> Result<InlinePayload, ApiError> {
    let Value::Object(object) = value else {
        return Err(ApiError::invalid_argument(format!(
            "payload of a JSON package must be a JSON object, got {}",
            kind_of(value)
        )));
    };
    let canonical = canonical_json(value)?;
    if canonical.len() > MAX_JSON_PAYLOAD_BYTES {
        return Err(ApiError::invalid_argument(format!(
            "payload is {} bytes as canonical JSON (RFC 8785); a JSON package's payload may hold \
             at most {MAX_JSON_PAYLOAD_BYTES} bytes (64 KiB): ship larger content as a FILE or \
             URL_LIST package",
            canonical.len()
        )));
    }
    Ok(finish(InlineKind::Json(object.clone()), canonical))
}

fn parse_url_list(value: &Value) -> Result<InlinePayload, ApiError> {
    let Value::Array(items) = value else {
        return Err(ApiError::invalid_argument(format!(
            "payload of a URL_LIST package must be a list of {{\"url\", \"sha256\", \"size_bytes\"}}, got {}",
            kind_of(value)
        )));
    };
    if items.is_empty() || items.len() > MAX_URL_LIST_ENTRIES {
        return Err(ApiError::invalid_argument(format!(
            "payload of a URL_LIST package must list 1 to {MAX_URL_LIST_ENTRIES} files, got {}",
            items.len()
        )));
    }
    let mut entries: Vec<UrlListEntry> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let entry = parse_entry(i, item)?;
        if let Some(first) = entries.iter().position(|e| e.url == entry.url) {
            return Err(ApiError::invalid_argument(format!(
                "payload[{i}].url repeats payload[{first}].url ({}): list each file once",
                quoted(&entry.url)
            )));
        }
        entries.push(entry);
    }
    let canonical = canonical_json(&entries)?;
    Ok(finish(InlineKind::UrlList(entries), canonical))
}

fn finish(kind: InlineKind, canonical: Vec<u8>) -> InlinePayload {
    let sha256 = Sha256Hex::from_digest(&Sha256::digest(&canonical).into());
    InlinePayload {
        kind,
        canonical,
        sha256,
    }
}

fn parse_entry(i: usize, item: &Value) -> Result<UrlListEntry, ApiError> {
    let Value::Object(fields) = item else {
        return Err(ApiError::invalid_argument(format!(
            "payload[{i}] must be an object {{\"url\", \"sha256\", \"size_bytes\"}}, got {}",
            kind_of(item)
        )));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "url" | "sha256" | "size_bytes"))
    {
        return Err(ApiError::invalid_argument(format!(
            "payload[{i}] has an unknown field {}: an entry holds url, sha256 and size_bytes",
            quoted(unknown)
        )));
    }
    let field = |name: &str| {
        fields
            .get(name)
            .ok_or_else(|| ApiError::invalid_argument(format!("payload[{i}].{name} is missing")))
    };
    let url = match field("url")? {
        Value::String(s) => s.clone(),
        other => {
            return Err(ApiError::invalid_argument(format!(
                "payload[{i}].url must be a string, got {}",
                kind_of(other)
            )))
        }
    };
    let chars = url.chars().count();
    if chars == 0
        || chars > MAX_URL_CHARS
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::invalid_argument(format!(
            "payload[{i}].url must be 1 to {MAX_URL_CHARS} characters without spaces, got {}",
            quoted(&url)
        )));
    }
    let sha256 = match field("sha256")? {
        Value::String(s) => Sha256Hex::parse_field(&format!("payload[{i}].sha256"), s)?,
        other => {
            return Err(ApiError::invalid_argument(format!(
                "payload[{i}].sha256 must be a string of 64 hexadecimal characters, got {}",
                kind_of(other)
            )))
        }
    };
    let size_bytes = field("size_bytes")?
        .as_u64()
        .filter(|n| (1..=MAX_ARTIFACT_BYTES).contains(n))
        .ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "payload[{i}].size_bytes must be a whole number from 1 to {MAX_ARTIFACT_BYTES} (8 GiB), got {}",
                fields.get("size_bytes").map(Value::to_string).unwrap_or_default()
            ))
        })?;
    Ok(UrlListEntry {
        url,
        sha256,
        size_bytes,
    })
}

/// "an array", "a string"…: what a value is, for an error message.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn message(r: Result<InlinePayload, ApiError>) -> String {
        r.expect_err("should be refused").message
    }

    #[test]
    fn payload_type_names_are_seed_002s() {
        assert_eq!(
            serde_json::to_value(PayloadType::UrlList).unwrap(),
            "URL_LIST"
        );
        assert_eq!("JSON".parse::<PayloadType>().unwrap(), PayloadType::Json);
        assert_eq!(PayloadType::default(), PayloadType::File);
        assert!("json".parse::<PayloadType>().is_err());
    }

    #[test]
    fn canonical_json_follows_rfc_8785() {
        // RFC 8785 section 3.2.2: keys sorted by UTF-16 code units, ES6 number forms, no spaces.
        let v: Value = serde_json::from_str(
            r#"{ "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                 "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                 "literals": [null, true, false] }"#,
        )
        .unwrap();
        let canonical = String::from_utf8(canonical_json(&v).unwrap()).unwrap();
        assert_eq!(
            canonical,
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn a_json_payload_hashes_its_canonical_form_whatever_the_spacing() {
        let a = parse_inline(PayloadType::Json, Some(&json!({"b": 1, "a": [true, "x"]}))).unwrap();
        let b: Value = serde_json::from_str("{ \"a\" : [ true , \"x\" ] ,\n \"b\": 1.0 }").unwrap();
        let b = parse_inline(PayloadType::Json, Some(&b)).unwrap();
        assert_eq!(a.canonical, br#"{"a":[true,"x"],"b":1}"#);
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(
            a.sha256.as_str(),
            hex::encode(Sha256::digest(br#"{"a":[true,"x"],"b":1}"#))
        );
    }

    #[test]
    fn a_json_payload_is_an_object_of_at_most_64_kib() {
        for v in [json!([1]), json!("x"), json!(null), json!(3)] {
            assert!(message(parse_inline(PayloadType::Json, Some(&v))).contains("JSON object"));
        }
        assert!(message(parse_inline(PayloadType::Json, None)).contains("required"));
        // {"k":"…"} is 8 bytes around the string.
        let at_limit = json!({ "k": "x".repeat(MAX_JSON_PAYLOAD_BYTES - 8) });
        assert_eq!(
            parse_inline(PayloadType::Json, Some(&at_limit))
                .unwrap()
                .canonical
                .len(),
            MAX_JSON_PAYLOAD_BYTES
        );
        let over = json!({ "k": "x".repeat(MAX_JSON_PAYLOAD_BYTES - 7) });
        let m = message(parse_inline(PayloadType::Json, Some(&over)));
        assert!(m.contains("65537 bytes") && m.contains("65536"), "{m}");
    }

    #[test]
    fn a_url_list_holds_1_to_64_well_formed_entries() {
        let entry =
            |n: usize| json!({"url": format!("https://h/{n}"), "sha256": SHA, "size_bytes": 5});
        let ok = parse_inline(PayloadType::UrlList, Some(&json!([entry(0), entry(1)]))).unwrap();
        let InlineKind::UrlList(entries) = &ok.kind else {
            panic!("not a list")
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(
            ok.canonical_text(),
            format!(
                r#"[{{"sha256":"{SHA}","size_bytes":5,"url":"https://h/0"}},{{"sha256":"{SHA}","size_bytes":5,"url":"https://h/1"}}]"#
            )
        );
        // Uppercase checksums are the same digest: the canonical form (and so the package's
        // sha256) is the lowercase one.
        let upper = json!([{"url": "https://h/0", "sha256": SHA.to_uppercase(), "size_bytes": 5},
                           {"url": "https://h/1", "sha256": SHA, "size_bytes": 5}]);
        assert_eq!(
            parse_inline(PayloadType::UrlList, Some(&upper))
                .unwrap()
                .sha256,
            ok.sha256
        );

        let list = |n: usize| Value::Array((0..n).map(entry).collect());
        assert!(parse_inline(PayloadType::UrlList, Some(&list(64))).is_ok());
        for n in [0, 65] {
            let m = message(parse_inline(PayloadType::UrlList, Some(&list(n))));
            assert!(
                m.contains("1 to 64 files") && m.contains(&format!("got {n}")),
                "{m}"
            );
        }
        let cases = [
            (json!({"url": "x"}), "must be a list"),
            (json!([1]), "payload[0] must be an object"),
            (
                json!([entry(0), {"url": "https://h/1", "sha256": SHA}]),
                "payload[1].size_bytes is missing",
            ),
            (
                json!([{"url": "https://h/1", "sha256": "abc", "size_bytes": 1}]),
                "payload[0].sha256 must be 64",
            ),
            (
                json!([{"url": "https://h/1", "sha256": SHA, "size_bytes": 0}]),
                "payload[0].size_bytes must be",
            ),
            (
                json!([{"url": "https://h/1", "sha256": SHA, "size_bytes": "5"}]),
                "payload[0].size_bytes must be",
            ),
            (
                json!([{"url": "", "sha256": SHA, "size_bytes": 1}]),
                "payload[0].url must be 1 to",
            ),
            (
                json!([{"url": 7, "sha256": SHA, "size_bytes": 1}]),
                "payload[0].url must be a string",
            ),
            (
                json!([entry(0), {"url": "https://h/1", "sha256": SHA, "size_bytes": 1, "mode": 1}]),
                "payload[1] has an unknown field \"mode\"",
            ),
            (
                json!([entry(0), entry(1), entry(0)]),
                "payload[2].url repeats payload[0].url",
            ),
        ];
        for (payload, expected) in cases {
            let m = message(parse_inline(PayloadType::UrlList, Some(&payload)));
            assert!(m.contains(expected), "{payload}: {m}");
        }
    }
}
