#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
// Test tooling: a malformed vector file is a failed test, so panicking with
// the reason is the error handling.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use susurro_crypto::{H, KeyStream, Label, kdf_into};

/// Bytes as the vector files spell them: a lowercase hex string.
#[must_use]
pub fn hx(b: &[u8]) -> Value {
    Value::String(hex::encode(b))
}

/// A label as the vector files spell it: its ASCII and its hex.
#[must_use]
pub fn label_json(l: Label) -> Value {
    json!({ "ascii": String::from_utf8_lossy(l.as_bytes()), "hex": hex::encode(l.as_bytes()) })
}

/// Records every use of H: what the value is, mode, label, key, parts and
/// output, in the order the generator made them.
#[derive(Debug, Default)]
pub struct Trace(pub Vec<Value>);

impl Trace {
    /// `H(l, parts…)`, the first `n` bytes (hash mode).
    pub fn hash(&mut self, what: &str, l: Label, parts: &[&[u8]], n: usize) -> Vec<u8> {
        let mut h = H::new(l);
        h.absorb_all(parts);
        let mut out = vec![0u8; n];
        h.finalize_into(&mut out);
        self.push(what, "hash", l, None, parts, &out);
        out
    }

    /// `MAC(l, key, parts…)`, the first `n` bytes.
    pub fn mac(&mut self, what: &str, l: Label, key: &[u8], parts: &[&[u8]], n: usize) -> Vec<u8> {
        let mut h = H::new_keyed(l, key);
        h.absorb_all(parts);
        let mut out = vec![0u8; n];
        h.finalize_into(&mut out);
        self.push(what, "mac", l, Some(key), parts, &out);
        out
    }

    /// `KDF(l, key, parts…)`, the first `n` bytes.
    pub fn kdf(&mut self, what: &str, l: Label, key: &[u8], parts: &[&[u8]], n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        kdf_into(l, key, parts, &mut [&mut out]);
        self.push(what, "kdf", l, Some(key), parts, &out);
        out
    }

    /// Stream mode: the first `n` keystream bytes of `(l, key, nonce)`; the
    /// entry's one part is the nonce.
    pub fn stream(&mut self, what: &str, l: Label, key: &[u8], nonce: &[u8], n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        KeyStream::new(l, key, nonce).apply_keystream(&mut out);
        self.push(what, "stream", l, Some(key), &[nonce], &out);
        out
    }

    /// Records a use of H computed elsewhere (by the code under test).
    pub fn push(
        &mut self,
        what: &str,
        mode: &str,
        l: Label,
        key: Option<&[u8]>,
        parts: &[&[u8]],
        out: &[u8],
    ) {
        self.0.push(json!({
            "value": what,
            "mode": mode,
            "label": String::from_utf8_lossy(l.as_bytes()),
            "key": key.map(hex::encode),
            "parts": parts.iter().map(hex::encode).collect::<Vec<_>>(),
            "output": hex::encode(out),
        }));
    }
}

fn bytes(v: &Value, what: &str) -> Vec<u8> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a hex string: {v}"));
    hex::decode(s).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Recomputes one `h_trace` entry from its recorded inputs with
/// `susurro-crypto` alone; panics naming the entry if the output differs.
pub fn check_trace_entry(e: &Value) {
    let label = e["label"]
        .as_str()
        .unwrap_or_else(|| panic!("entry without a label: {e}"));
    // Labels are `'static` in the crypto API; a test leaks the few it reads.
    let l = Label::new(Box::leak(label.as_bytes().to_vec().into_boxed_slice()));
    let parts: Vec<Vec<u8>> = e["parts"]
        .as_array()
        .unwrap_or_else(|| panic!("entry without parts: {e}"))
        .iter()
        .map(|p| bytes(p, "part"))
        .collect();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let want = bytes(&e["output"], "output");
    let key = || bytes(&e["key"], "key");
    let mut got = vec![0u8; want.len()];
    match e["mode"].as_str().unwrap_or_default() {
        "hash" => {
            let mut h = H::new(l);
            h.absorb_all(&refs);
            h.finalize_into(&mut got);
        }
        "mac" => {
            let mut h = H::new_keyed(l, &key());
            h.absorb_all(&refs);
            h.finalize_into(&mut got);
        }
        "kdf" => kdf_into(l, &key(), &refs, &mut [&mut got]),
        "stream" => {
            assert_eq!(refs.len(), 1, "stream: one part, the nonce");
            KeyStream::new(l, &key(), refs[0]).apply_keystream(&mut got);
        }
        m => panic!("unknown mode {m:?} in {e}"),
    }
    assert_eq!(
        hex::encode(got),
        hex::encode(want),
        "h_trace entry {}",
        e["value"]
    );
}

/// Every `h_trace` entry anywhere in `v`, in document order.
#[must_use]
pub fn trace_entries(v: &Value) -> Vec<&Value> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("h_trace", Value::Array(a)) => out.extend(a),
                        _ => walk(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out
}

/// Checks every `h_trace` entry in `v` ([`check_trace_entry`]); returns
/// how many there were.
pub fn check_traces(v: &Value) -> usize {
    let all = trace_entries(v);
    all.iter().for_each(|e| check_trace_entry(e));
    all.len()
}

/// The hex bytes of the first ` ```text ` block after `heading` in a
/// document: on each line, the leading whitespace-separated tokens that are
/// all hex digits (what follows them is commentary), concatenated.
#[must_use]
pub fn hex_block(doc: &str, heading: &str) -> String {
    let after = doc
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no {heading:?} in the document"));
    let block = after
        .split("```text")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_else(|| panic!("no ```text block after {heading:?}"));
    block
        .lines()
        .flat_map(|l| {
            l.split_whitespace()
                .take_while(|t| t.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .collect()
}

/// `docs/vectors/` of this workspace.
#[must_use]
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/vectors")
}

/// The text of `docs/vectors/<name>`.
#[must_use]
pub fn load_text(name: &str) -> String {
    let path = dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `docs/vectors/<name>`, parsed.
#[must_use]
pub fn load(name: &str) -> Value {
    serde_json::from_str(&load_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A file's text as the generators write it: pretty JSON and a final newline.
#[must_use]
pub fn text(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values serialise");
    s.push('\n');
    s
}

/// The generators' `main`: writes each `(name, value)` into the directory
/// named by the first argument (default `docs/vectors`) and says so.
pub fn write_all(files: &[(&str, Value)]) {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/vectors".into());
    for (name, v) in files {
        let path = Path::new(&dir).join(name);
        std::fs::write(&path, text(v)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_entries_recompute_and_a_changed_one_does_not() {
        let l = Label::new(b"susurro/vectors/self-test/v1");
        let mut t = Trace::default();
        t.hash("h", l, &[b"a", b""], 40);
        t.mac("m", l, b"key", &[b"b"], 16);
        t.kdf("k", l, b"key", &[b"c", b"d"], 100);
        t.stream("s", l, b"key", b"nonce", 70);
        let file = json!({ "inner": { "h_trace": t.0.clone() }, "h_trace": [] });
        assert_eq!(check_traces(&file), 4);
        for i in 0..4 {
            let mut bad = t.0[i].clone();
            let out = bad["output"].as_str().unwrap().to_owned();
            let flipped = format!(
                "{}{}",
                if out.starts_with('0') { '1' } else { '0' },
                &out[1..]
            );
            bad["output"] = Value::String(flipped);
            let r = std::panic::catch_unwind(|| check_trace_entry(&bad));
            assert!(r.is_err(), "entry {i} with a changed output passed");
        }
    }
}
