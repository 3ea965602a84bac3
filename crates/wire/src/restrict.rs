//! Restricted message sets: what one module may receive, as an enum of its
//! own, so the module's `match` is exhaustive and a new message routed to it
//! makes the compiler list the handler to write. The model is arti's
//! `restricted_msg!` (tor-cell's `restrict.rs`).
//!
//! [`restricted_msg!`](crate::restricted_msg) declares the enum with `TryFrom<Message>` (the error
//! gives the message back) and `From<_> for Message`. [`unlisted_inbound`]
//! finds a kind the table routes to a module that its enum does not list
//! (nor the module handles [`Apart`]); modules assert at compile time that
//! there is none.

use crate::message::Kind;
use crate::types::ModuleId;

/// Declares a restricted message enum: one variant per listed message, each
/// holding the message struct of the same name.
///
/// ```
/// susurro_wire::restricted_msg! {
///     /// What a lock screen may hear.
///     pub enum LockInbound { StoreStatus, UnlockResult }
/// }
/// let m: susurro_wire::Message = susurro_wire::Lock {}.into();
/// assert!(LockInbound::try_from(m).is_err());
/// ```
#[macro_export]
macro_rules! restricted_msg {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($variant:ident),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(clippy::large_enum_variant)]
        $vis enum $name {
            $(
                #[doc = concat!("The `", stringify!($variant), "` message.")]
                $variant($crate::$variant),
            )+
        }

        impl $name {
            /// The kinds this enum accepts.
            #[allow(dead_code)]
            $vis const KINDS: &'static [$crate::Kind] = &[$($crate::Kind::$variant),+];

            /// The kind of the message.
            #[allow(dead_code)]
            $vis const fn kind(&self) -> $crate::Kind {
                match self {
                    $( Self::$variant(_) => $crate::Kind::$variant, )+
                }
            }
        }

        impl ::core::convert::TryFrom<$crate::Message> for $name {
            type Error = $crate::Message;
            /// The message if it is one of ours; otherwise it comes back.
            fn try_from(m: $crate::Message) -> ::core::result::Result<Self, $crate::Message> {
                match m {
                    $( $crate::Message::$variant(x) => Ok(Self::$variant(x)), )+
                    other => Err(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $crate::Message {
            fn from(m: $name) -> Self {
                match m {
                    $( $name::$variant(x) => $crate::Message::$variant(x), )+
                }
            }
        }
    };
}

/// Kinds a module handles apart from its restricted enum, by a row flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apart {
    /// None: the enum lists every kind routed to the module.
    Nothing,
    /// The IKE steps (row flag `ike`), handed whole to an IKE driver.
    IkeSteps,
    /// The messages that cross to the peer (row flag `peer`), carried whole.
    PeerCrossing,
}

/// The first kind the message table routes to `dst` (from any source) that
/// is neither in `kinds` nor handled `apart`; `None` if every routed kind is
/// listed. Usable in constants:
/// `const _: () = assert!(unlisted_inbound(Inbound::KINDS, ModuleId::Ui, Apart::Nothing).is_none());`
pub const fn unlisted_inbound(kinds: &[Kind], dst: ModuleId, apart: Apart) -> Option<Kind> {
    let mut i = 0;
    while i < Kind::ALL.len() {
        let k = Kind::ALL[i];
        i += 1;
        let handled_apart = match apart {
            Apart::Nothing => false,
            Apart::IkeSteps => k.is_ike_step(),
            Apart::PeerCrossing => k.crosses_peer(),
        };
        if handled_apart {
            continue;
        }
        if !routed_to(k, dst) {
            continue;
        }
        let mut listed = false;
        let mut j = 0;
        while j < kinds.len() {
            if kinds[j].code() == k.code() {
                listed = true;
            }
            j += 1;
        }
        if !listed {
            return Some(k);
        }
    }
    None
}

/// Whether the table routes `k` to `dst` from some source.
pub(crate) const fn routed_to(k: Kind, dst: ModuleId) -> bool {
    let routes = k.routes();
    let mut i = 0;
    while i < routes.len() {
        if routes[i].1.code() == dst.code() {
            return true;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    crate::restricted_msg! {
        /// A test set.
        enum Few { Lock, Unlock }
    }

    #[test]
    fn try_from_keeps_ours_and_gives_back_the_rest() {
        let m: Message = crate::Lock {}.into();
        let few = Few::try_from(m.clone()).unwrap();
        assert_eq!(few.kind(), Kind::Lock);
        assert_eq!(Message::from(few), m);
        let other: Message = crate::Reset {}.into();
        assert_eq!(Few::try_from(other.clone()), Err(other));
    }

    #[test]
    fn unlisted_inbound_names_a_missing_kind() {
        // Storage receives more than these two.
        assert!(unlisted_inbound(Few::KINDS, ModuleId::Storage, Apart::Nothing).is_some());
        // Nothing is routed to the host.
        assert_eq!(unlisted_inbound(&[], ModuleId::Host, Apart::Nothing), None);
        // The cryptor receives more than the IKE steps.
        assert!(unlisted_inbound(&[], ModuleId::Cryptor, Apart::IkeSteps).is_some());
        assert!(routed_to(Kind::Lock, ModuleId::Storage));
        assert!(!routed_to(Kind::Lock, ModuleId::Ui));
    }
}
