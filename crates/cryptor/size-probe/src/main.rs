//! See Cargo.toml. Not firmware: it is only linked, never run.
#![no_std]
#![no_main]

use core::hint::black_box;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

#[cfg(feature = "ike")]
fn run() {
    use susurro_crypto::{Point, SecretKey};
    use susurro_cryptor::drbg::Drbg;
    use susurro_cryptor::ike::{Originator, Responder};
    let seed: [u8; 32] = black_box([1; 32]);
    let mut ra = Drbg::from_seed(&seed);
    let mut rb = Drbg::from_seed(black_box(&[2; 32]));
    // Stand-ins for storage's multiplications (storage links X25519 anyway).
    let a = SecretKey::from_bytes(black_box(&[3; 32]));
    let b = SecretKey::from_bytes(black_box(&[4; 32]));
    let pb: Point = black_box(b.public_key());
    let pa: Point = black_box(a.public_key());
    let Ok((oa, m1)) = Originator::start(&mut ra, pa, Some(pb)) else { return };
    let (rs, m2) = Responder::start(&mut rb).on_commit(&m1);
    let Ok((oa, m3)) = oa.on_ephemeral(&m2) else { return };
    let Ok((rs, x)) = rs.on_speke_u(&m3) else { return };
    let Ok(tb) = b.diffie_hellman(&x) else { return };
    let Ok((rs, m4)) = rs.on_tag(&tb) else { return };
    let Ok((oa, m5)) = oa.on_speke_v(&m4) else { return };
    let (rs, m6, _) = rs.on_identity(&m5, &mut rb);
    let Ok((oa, y)) = oa.on_confirm(&m6) else { return };
    let Ok(ta) = a.diffie_hellman(&y) else { return };
    let (oa, ma, mx) = oa.on_tag(&ta);
    let Ok((eb, mb, my)) = rs.on_auth_a(&ma, &mx, true, &mut rb) else { return };
    let r = oa.on_auth_b(&mb, &my);
    let _ = black_box((r.map(|e| e.keys.sas), eb.keys.sas));
}

#[cfg(feature = "core")]
fn run() {
    use susurro_cryptor::CryptorCore;
    use susurro_wire::module::{Input, ModuleCore, Outbox};
    use susurro_wire::{Envelope, Instant, ModuleId};
    let mut core = CryptorCore::default();
    let mut out = Outbox::new(ModuleId::Cryptor);
    core.handle(Instant::ZERO, Input::Entropy(black_box(&[7; 64])), &mut out);
    let buf: [u8; 64] = black_box([0; 64]);
    if let Ok(env) = Envelope::decode(&buf) {
        core.handle(Instant::ZERO, Input::Message(env), &mut out);
    }
    core.handle(Instant::ZERO, Input::Timer, &mut out);
    let _ = core.seal_voice(1, &buf, &mut out);
    black_box((core.poll_voice().is_some(), out.len(), core.deadline()));
}

#[cfg(not(any(feature = "ike", feature = "core")))]
fn run() {
    black_box(0u32);
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    run();
    loop {}
}
