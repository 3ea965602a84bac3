//! The cryptor's deterministic random bit generator: `susurro-crypto`'s
//! [`Drbg`](susurro_crypto::Drbg) under the cryptor's labels
//! ([`labels::DRBG_RESEED`], [`labels::DRBG_OUTPUT`]), seeded only from
//! [`Input::Entropy`](susurro_wire::Input). The construction is
//! `docs/protocol.md` ("Cryptor DRBG").

use susurro_crypto::{DrbgLabels, Label};

use crate::labels;

pub use susurro_crypto::drbg::MIN_SEED;

/// The cryptor's pair of DRBG labels.
#[derive(Debug)]
pub enum CryptorDrbg {}

impl DrbgLabels for CryptorDrbg {
    const RESEED: Label = labels::DRBG_RESEED;
    const OUTPUT: Label = labels::DRBG_OUTPUT;
}

/// The generator. Zeroized on drop.
pub type Drbg = susurro_crypto::Drbg<CryptorDrbg>;
