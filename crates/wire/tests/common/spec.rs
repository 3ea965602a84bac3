//! Builds the generated part of docs/wire.md: the message tables and the
//! hex vectors. `cargo run -p susurro-wire --example wire-spec` prints it;
//! `tests/vectors.rs` checks that the document holds exactly this text.

use std::fmt::Write;

use susurro_wire::*;

use super::samples;

fn routes(r: &[(ModuleId, ModuleId)]) -> String {
    r.iter()
        .map(|(s, d)| format!("{}→{}", s.name(), d.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fields(f: &[(&str, &str)]) -> String {
    if f.is_empty() {
        return "—".into();
    }
    f.iter()
        .map(|(n, t)| format!("`{n}: {}`", t.replace(' ', "")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The generated section, markers excluded.
pub fn generated() -> String {
    let mut s = String::new();
    writeln!(s, "### Module messages\n").unwrap();
    writeln!(
        s,
        "| kind | message | class | routes (source→destination) | fields, in order |"
    )
    .unwrap();
    writeln!(s, "|---|---|---|---|---|").unwrap();
    for k in Kind::ALL {
        writeln!(
            s,
            "| `{:#04x}` | {} | {:?} | {} | {} |",
            k.code(),
            k.name(),
            k.class(),
            routes(k.routes()),
            fields(k.fields())
        )
        .unwrap();
    }
    writeln!(s, "\n### Peer messages (sealed inside `PeerData`)\n").unwrap();
    writeln!(s, "| kind | message | fields, in order |").unwrap();
    writeln!(s, "|---|---|---|").unwrap();
    for k in PeerKind::ALL {
        writeln!(
            s,
            "| `{:#04x}` | {} | {} |",
            k.code(),
            k.name(),
            fields(k.fields())
        )
        .unwrap();
    }
    writeln!(
        s,
        "\n### File messages (carried opaque in `SendFile`, `PeerFile`, `FileReceived`)\n"
    )
    .unwrap();
    writeln!(s, "| kind | message | fields, in order |").unwrap();
    writeln!(s, "|---|---|---|").unwrap();
    for k in FileKind::ALL {
        writeln!(
            s,
            "| `{:#04x}` | {} | {} |",
            k.code(),
            k.name(),
            fields(k.fields())
        )
        .unwrap();
    }
    writeln!(s, "\n### Envelope vectors\n").unwrap();
    writeln!(s, "Each line: message name, then the encoded envelope (source, destination, kind, body) in hex.\n").unwrap();
    writeln!(s, "```text").unwrap();
    for env in samples::envelopes() {
        let mut buf = [0u8; MAX_MESSAGE];
        let n = env.encode(&mut buf).unwrap();
        writeln!(s, "{} {}", env.msg.kind().name(), hex::encode(&buf[..n])).unwrap();
    }
    writeln!(s, "```").unwrap();
    writeln!(s, "\n### Peer message vectors\n").unwrap();
    writeln!(s, "```text").unwrap();
    for m in samples::peer_messages() {
        let mut buf = [0u8; MAX_MESSAGE];
        let n = m.encode_to(&mut buf).unwrap();
        writeln!(s, "{} {}", m.kind().name(), hex::encode(&buf[..n])).unwrap();
    }
    writeln!(s, "```").unwrap();
    writeln!(s, "\n### File message vectors\n").unwrap();
    writeln!(s, "```text").unwrap();
    for m in samples::file_messages() {
        let mut buf = [0u8; MAX_MESSAGE];
        let n = m.encode_to(&mut buf).unwrap();
        writeln!(s, "{} {}", m.kind().name(), hex::encode(&buf[..n])).unwrap();
    }
    writeln!(s, "```").unwrap();
    writeln!(s, "\n### Frame vectors\n").unwrap();
    writeln!(
        s,
        "Each line: name, then the frame as sent: COBS-stuffed, with its `00` delimiter.\n"
    )
    .unwrap();
    writeln!(s, "```text").unwrap();
    for (name, ftype, seq, ack, sack, payload) in samples::frames() {
        let f = frame::Frame {
            ftype,
            seq,
            ack,
            sack,
            payload: &payload,
        };
        let mut buf = [0u8; frame::MAX_ENCODED];
        let n = f.encode(&mut buf).unwrap();
        writeln!(s, "{name} {}", hex::encode(&buf[..n])).unwrap();
    }
    writeln!(s, "```").unwrap();
    s
}

/// Splits a vector block line into (name, bytes).
pub fn parse_line(line: &str) -> (String, Vec<u8>) {
    let (name, hex) = line.split_once(' ').unwrap();
    (name.to_string(), hex::decode(hex.trim()).unwrap())
}

/// The lines of the fenced block that follows `heading` in `doc`.
pub fn block_after<'a>(doc: &'a str, heading: &str) -> Vec<&'a str> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} missing"));
    let rest = &doc[start..];
    let open = rest.find("```text\n").unwrap() + "```text\n".len();
    let body = &rest[open..];
    let close = body.find("```").unwrap();
    body[..close]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect()
}
