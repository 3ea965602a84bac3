//! The projections generated from the message table's tags (`@call`, `@req`,
//! row flags `peer` and `ike`) agree, on one sample of every kind, with the
//! hand-written projections the modules used before (kept here as oracles).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::samples;
use susurro_wire::*;

/// cryptor `core.rs`: the IKE pattern list and `ike_call`.
fn old_ike_call(m: &Message) -> Option<CallId> {
    Some(match m {
        Message::IkeCommit(m) => m.call,
        Message::IkeEphemeral(m) => m.call,
        Message::IkeSpekeU(m) => m.call,
        Message::IkeSpekeV(m) => m.call,
        Message::IkeIdentity(m) => m.call,
        Message::IkeConfirm(m) => m.call,
        Message::IkeAuthA(m) => m.call,
        Message::IkeAuthB(m) => m.call,
        _ => return None,
    })
}

/// transport `module/link.rs` `carried_call` (and the kinds `with_call` and
/// cryptor `sim.rs` `set_call` rewrite).
fn old_carried_call(m: &Message) -> Option<CallId> {
    match m {
        Message::PeerData(m) => Some(m.call),
        Message::Voice(m) => Some(m.call),
        m => old_ike_call(m),
    }
}

/// cryptor `sim.rs` `call_of`: the call of a message the cryptor sends to
/// transport.
fn old_sim_call_of(m: &Message) -> Option<CallId> {
    match m {
        Message::Dial(m) => Some(m.call),
        Message::ObfuscationKey(m) => Some(m.call),
        Message::ObfuscationSecret(m) => Some(m.call),
        Message::TransportKey(m) => Some(m.call),
        Message::DoublePath(m) => Some(m.call),
        Message::Terminate(m) => Some(m.call),
        m => old_carried_call(m),
    }
}

/// storage `core.rs` `req_op`.
fn old_req_op(msg: &Message) -> (u16, u8) {
    let req = match msg {
        Message::ScalarMult(m) => m.req,
        Message::EntropyRequest(m) => m.req,
        Message::ContactAdd(m) => m.req,
        Message::ContactLookup(m) => m.req,
        _ => 0,
    };
    (req, msg.kind().code())
}

fn routed(k: Kind, src: ModuleId, dst: ModuleId) -> bool {
    k.routes().contains(&(src, dst))
}

#[test]
fn every_kind_has_a_sample() {
    let kinds: Vec<Kind> = samples::envelopes().iter().map(|e| e.msg.kind()).collect();
    for k in Kind::ALL {
        assert!(kinds.contains(k), "no sample of {}", k.name());
    }
}

#[test]
fn generated_projections_agree_with_the_hand_written_ones() {
    for env in samples::envelopes() {
        let m = &env.msg;
        let k = m.kind();
        let name = k.name();
        // cryptor: the IKE steps and their call.
        assert_eq!(k.is_ike_step(), old_ike_call(m).is_some(), "{name}");
        if k.is_ike_step() {
            assert_eq!(m.call(), old_ike_call(m), "{name}");
        }
        // transport link and cryptor sim: what crosses, and its call.
        assert_eq!(m.crosses_peer(), old_carried_call(m).is_some(), "{name}");
        if m.crosses_peer() {
            assert_eq!(m.call(), old_carried_call(m), "{name}");
        }
        // cryptor sim: the call of what the cryptor sends to transport.
        // `DirectRequest` was absent from the old list (the sim dropped it);
        // it names a call but does not cross, so the sim still drops it.
        if routed(k, ModuleId::Cryptor, ModuleId::Transport) {
            match old_sim_call_of(m) {
                Some(c) => assert_eq!(m.call(), Some(c), "{name}"),
                None => assert!(
                    m.call().is_none() || (k == Kind::DirectRequest && !m.crosses_peer()),
                    "{name}"
                ),
            }
        }
        // storage: the request id of what storage receives.
        if [ModuleId::Ui, ModuleId::Cryptor]
            .iter()
            .any(|&s| routed(k, s, ModuleId::Storage))
        {
            assert_eq!((m.req().unwrap_or(0), k.code()), old_req_op(m), "{name}");
        }
    }
}

#[test]
fn set_call_rewrites_exactly_the_call_field() {
    for env in samples::envelopes() {
        let mut m = env.msg.clone();
        let had = m.call();
        assert_eq!(
            m.set_call(0x1234_5678),
            had.is_some(),
            "{}",
            m.kind().name()
        );
        if let Some(had) = had {
            assert_eq!(m.call(), Some(0x1234_5678));
            // Nothing else changed.
            let mut back = m.clone();
            back.set_call(had);
            assert_eq!(back, env.msg);
        } else {
            assert_eq!(m, env.msg);
        }
    }
}

#[test]
fn peer_messages_name_no_call_and_do_not_cross() {
    for m in samples::peer_messages() {
        let mut m2 = m.clone();
        assert_eq!(m.call(), None);
        assert_eq!(m.req(), None);
        assert!(!m2.set_call(7));
        assert_eq!(m2, m);
        assert!(!m.kind().crosses_peer() && !m.kind().is_ike_step());
    }
}

#[test]
fn bodies_fit_their_computed_maximum_and_the_largest_is_reached() {
    let mut buf = [0u8; MAX_MESSAGE];
    for env in samples::envelopes() {
        let n = env.encode(&mut buf).unwrap();
        // Source, destination, kind, then the body.
        assert!(
            n - 3 <= env.msg.kind().max_size(),
            "{}",
            env.msg.kind().name()
        );
    }
    let biggest = Kind::ALL.iter().map(|k| k.max_size()).max().unwrap();
    assert_eq!(MAX_MESSAGE, 3 + biggest);
    let full = Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Transport,
        PeerData {
            call: u32::MAX,
            sealed: Bytes::new(&[0xff; caps::SEALED]).unwrap(),
        },
    );
    assert_eq!(full.encode(&mut buf).unwrap(), MAX_MESSAGE);
}
