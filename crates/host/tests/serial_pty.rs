//! Two hosts over a socat pty pair with a bit-error rate of 1e-3 in both
//! directions and three forced disconnects (each closes and reopens the
//! serial port): 10,000 control messages arrive exactly once and in order,
//! voice-frame loss stays within what the bit-error rate predicts (+1
//! point), and no task panics.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::Duration;

use susurro_host::*;
use susurro_wire::frame::{Frame, FrameType, MAX_ENCODED};
use susurro_wire::*;

const BER: f64 = 1e-3;
const CONTROL: u32 = 10_000;
/// Voice flows beside the first this-many control messages, before any disconnect.
const VOICE_PHASE: u32 = 2_500;
/// Voice frames sent in the first phase.
const VOICE_FRAMES: u32 = 20_000;

fn voice(seq: u32) -> Voice {
    Voice {
        call: 1,
        seq,
        sealed: Bytes::new(&[0x5a; 28]).unwrap(),
    }
}

/// Bytes a voice frame occupies on the wire, delimiter included.
fn voice_wire_len() -> usize {
    let env = Envelope::new(ModuleId::Cryptor, ModuleId::Transport, voice(1));
    let mut m = [0u8; MAX_MESSAGE];
    let n = env.encode(&mut m).unwrap();
    let f = Frame {
        ftype: FrameType::Voice,
        seq: 1,
        ack: 1,
        sack: 0,
        payload: &m[..n],
    };
    f.encode(&mut [0u8; MAX_ENCODED]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pty_pair_with_bit_errors_and_disconnects() {
    let pty = testing::PtyPair::new("ber").unwrap();
    let ber = FaultConfig {
        ber: BER,
        seed: 11,
        ..FaultConfig::default()
    };
    let (conn_a, fault_a) = FaultyConnector::new(
        SerialConnector::new(pty.a().display().to_string(), 115_200),
        ber.clone(),
        FaultConfig::default(),
    );
    let (conn_b, fault_b) = FaultyConnector::new(
        SerialConnector::new(pty.b().display().to_string(), 115_200),
        FaultConfig { seed: 12, ..ber },
        FaultConfig::default(),
    );
    let mut a = HostBuilder::new("a")
        .endpoint(ModuleId::Cryptor)
        .link(LinkSpec::new("to-b", &[ModuleId::Transport], conn_a))
        .start()
        .unwrap();
    let mut b = HostBuilder::new("b")
        .endpoint(ModuleId::Transport)
        .link(LinkSpec::new("to-a", &[ModuleId::Cryptor], conn_b))
        .start()
        .unwrap();
    let cryptor = a.endpoint(ModuleId::Cryptor).unwrap();
    let mut transport = b.endpoint(ModuleId::Transport).unwrap();

    // Phase 1 (bit errors only): 20,000 paced voice frames (enough for the
    // loss estimate to be within a third of a point) beside the first
    // control messages. Phase 2: the rest of the control messages with three
    // forced disconnects.
    let cryptor = std::sync::Arc::new(cryptor);
    let (phase2_tx, phase2_rx) = tokio::sync::oneshot::channel::<()>();
    let control_tx = cryptor.clone();
    let control = tokio::spawn(async move {
        let mut phase2 = Some(phase2_rx);
        for i in 0..CONTROL {
            if i == VOICE_PHASE
                && let Some(rx) = phase2.take()
            {
                rx.await.unwrap();
            }
            let sealed = Bytes::new(&i.to_le_bytes().repeat(5)).unwrap();
            control_tx
                .send(ModuleId::Transport, PeerData { call: i, sealed })
                .unwrap();
            if i % 64 == 0 {
                tokio::task::yield_now().await;
            }
        }
    });
    let voice_tx = cryptor.clone();
    let mut voices = tokio::spawn(async move {
        for seq in 0..VOICE_FRAMES {
            voice_tx.send(ModuleId::Transport, voice(seq)).unwrap();
            tokio::time::sleep(Duration::from_micros(250)).await;
        }
    });

    let mut next = 0u32;
    let mut voice_got = 0u64;
    let mut voice_on_wire = 0;
    let mut phase2 = Some(phase2_tx);
    let mut disconnects = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    while next < CONTROL {
        let env = tokio::select! {
            r = tokio::time::timeout_at(deadline, transport.recv()) => match r {
                Ok(env) => env.expect("host stopped"),
                Err(_) => panic!(
                    "stalled: {next} of {CONTROL} control messages arrived; a: {:?}; b: {:?}",
                    a.stats().link("to-b"),
                    b.stats().link("to-a")
                ),
            },
            done = &mut voices, if phase2.is_some() => {
                done.unwrap();
                // Voice has stopped: let the last frames land, count them.
                tokio::time::sleep(Duration::from_millis(500)).await;
                while let Some(env) = transport.try_recv() {
                    match env.msg {
                        Message::Voice(_) => voice_got += 1,
                        Message::PeerData(p) => {
                            assert_eq!(p.call, next, "control message out of order or doubled");
                            next += 1;
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
                voice_on_wire = a.stats().link("to-b").unwrap().stats.voice_sent;
                phase2.take().unwrap().send(()).unwrap();
                continue;
            }
        };
        match env.msg {
            Message::PeerData(p) => {
                assert_eq!(p.call, next, "control message out of order or doubled");
                assert_eq!(p.sealed.as_slice(), &next.to_le_bytes().repeat(5)[..]);
                next += 1;
                if phase2.is_none()
                    && next >= VOICE_PHASE + 1500 * (disconnects + 1)
                    && disconnects < 3
                {
                    disconnects += 1;
                    // Alternate which side pulls the cable.
                    if disconnects % 2 == 1 {
                        fault_a.disconnect_for(Duration::from_millis(300));
                    } else {
                        fault_b.disconnect_for(Duration::from_millis(300));
                    }
                }
            }
            Message::Voice(_) => voice_got += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    control.await.unwrap();
    let voice_in_phase = voice_got;
    let voice_offered = VOICE_FRAMES;
    assert_eq!(disconnects, 3);
    let sa = a.stats().link("to-b").unwrap();
    let sb = b.stats().link("to-a").unwrap();
    assert!(
        sa.connects >= 3 && sb.connects >= 2,
        "ports reopened: {} {}",
        sa.connects,
        sb.connects
    );

    let sent = voice_on_wire;
    let loss = 1.0 - voice_in_phase as f64 / sent as f64;
    // A voice frame is lost if any of its bits or its preceding delimiter is hit.
    let bits = 8.0 * (voice_wire_len() + 1) as f64;
    let predicted = 1.0 - (1.0 - BER).powf(bits);
    println!(
        "voice: offered {voice_offered}, on the wire {sent}, delivered {voice_in_phase}, loss {:.2}% (BER predicts {:.2}%); \
         control retransmits {}, bad frames at b {}, reconnects a {} b {}",
        loss * 100.0,
        predicted * 100.0,
        sa.stats.retransmits,
        sb.stats.bad_frames,
        sa.connects,
        sb.connects
    );
    assert!(
        sent > 18_000,
        "too few voice frames on the wire ({sent}) for a loss estimate"
    );
    assert!(
        loss <= predicted + 0.01,
        "voice loss {loss} exceeds {predicted} + 1 point"
    );
    assert!(
        sb.stats.bad_frames > 0,
        "the bit errors did reach the decoder"
    );

    a.shutdown().await.expect("no task of host a panicked");
    b.shutdown().await.expect("no task of host b panicked");
}
