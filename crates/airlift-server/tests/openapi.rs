//! `openapi.yaml` and the server's route table must describe the same API: a route that is
//! served but not documented, or documented but not served, fails here.

use std::collections::BTreeSet;

use airlift_server::app::routes;
use serde_norway::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn document() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("read openapi.yaml");
    serde_norway::from_str(&text).expect("openapi.yaml is valid YAML")
}

fn paths(doc: &Value) -> &serde_norway::Mapping {
    doc.get("paths")
        .and_then(Value::as_mapping)
        .expect("openapi.yaml has paths")
}

#[test]
fn served_routes_and_documented_operations_are_the_same() {
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in paths(&doc) {
        let path = path.as_str().expect("path keys are strings");
        for method in METHODS {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}\nin openapi.yaml but not served: {unserved:?}"
    );
    assert_eq!(served.len(), routes().len(), "a route is registered twice");
}

/// Every operation is usable by a code generator: an id, responses, its path parameters
/// declared, and every `$ref` pointing at something that exists.
#[test]
fn every_operation_is_complete_and_refs_resolve() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (path, item) in paths(&doc) {
        let path = path.as_str().unwrap();
        let declared_in_path = declared_path_params(&doc, item.get("parameters"));
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            let responses = op.get("responses").and_then(Value::as_mapping);
            assert!(
                responses.is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            let mut declared = declared_in_path.clone();
            declared.extend(declared_path_params(&doc, op.get("parameters")));
            for segment in path.split('/') {
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(
                        declared.contains(name),
                        "{method} {path}: path parameter {name} is not declared"
                    );
                }
            }
        }
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        assert!(resolve(&doc, &r).is_some(), "unresolved $ref {r}");
    }
}

fn declared_path_params(doc: &Value, params: Option<&Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in params.and_then(Value::as_sequence).into_iter().flatten() {
        let p = match p.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(doc, r).expect("parameter $ref resolves"),
            None => p,
        };
        if p.get("in").and_then(Value::as_str) == Some("path") {
            assert_eq!(p.get("required").and_then(Value::as_bool), Some(true));
            out.insert(p.get("name").and_then(Value::as_str).unwrap().to_owned());
        }
    }
    out
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                if k.as_str() == Some("$ref") {
                    out.push(v.as_str().expect("$ref is a string").to_owned());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn resolve<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    let pointer = r.strip_prefix("#/")?;
    pointer.split('/').try_fold(doc, |v, key| v.get(key))
}

/// The routes that honour `Idempotency-Key` (the route table's creates) are exactly the
/// operations that document it.
#[test]
fn idempotency_key_is_documented_on_exactly_the_create_routes() {
    const PARAM: &str = "#/components/parameters/IdempotencyKey";
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in paths(&doc) {
        let path = path.as_str().unwrap();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let params = op.get("parameters").and_then(Value::as_sequence);
            if params
                .into_iter()
                .flatten()
                .any(|p| p.get("$ref").and_then(Value::as_str) == Some(PARAM))
            {
                documented.insert((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = routes()
        .iter()
        .filter(|r| r.idempotent)
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    assert!(served.len() >= 8, "{served:?}");
    assert_eq!(served, documented);
}
