//! Names people give each other: your own name on your card, and the
//! names of your contacts.
//!
//! On a secure phone a name is what a person trusts. "Call bob" must
//! reach the bob whose key you checked, and a message shown under "bob"
//! must come from him. A second contact whose name only *looks* like
//! "bob" (a Cyrillic "о", a hidden zero-width space, a right-to-left
//! override that reverses what follows) breaks that without breaking any
//! cryptography: you call, or believe, the wrong person, and the key
//! check that would have told you is the one you skip because the name
//! is familiar. Refusing such a name costs a sender nothing but choosing
//! another one; accepting it can cost the person reading it everything.
//! So [`check_name`] refuses, in this order:
//!
//! 1. **An empty name, or one over 64 bytes of UTF-8**
//!    ([`NameProblem::Empty`], [`NameProblem::TooLong`]).
//! 2. **A look-alike of another name** ([`NameProblem::LooksLike`]):
//!    the name's confusable skeleton (Unicode TR39 §4,
//!    [`unicode_security::skeleton`]) equals another name's, either as
//!    written or both lower-cased, so "bоb" (Cyrillic о), "Bob", "ВОВ",
//!    "b\u{200B}ob" and "Ьob" all look like "bob". The skeleton maps each
//!    character to the prototype it can be mistaken for and drops the
//!    invisible ones, which is exactly the question "could these two be
//!    told apart at a glance?". This comes first: "it looks like your
//!    contact bob" is the warning that matters most.
//! 3. **An invisible or control character** ([`NameProblem::Invisible`]):
//!    general categories Cc (controls) and Cf (format: the bidi
//!    embeddings, overrides and isolates U+202A–202E and U+2066–2069,
//!    zero-width space, joiners and non-joiner U+200B–200D, the byte-order
//!    mark U+FEFF, the soft hyphen…), the line and paragraph separators
//!    U+2028/2029, and every other Default_Ignorable_Code_Point, the
//!    characters TR39's skeleton drops because they show nothing (Hangul
//!    fillers, variation selectors, tags). None of them belongs in a name;
//!    each lets two names differ in bytes but not on the screen, or
//!    reorders what the screen shows.
//! 4. **A space at either end, or a leading `+`**
//!    ([`NameProblem::SpaceAtEnds`], [`NameProblem::LeadingPlus`]): the
//!    ui core's rules (`+` marks the names Susurro generates for contacts
//!    received in a call, `+1A2B3C-…`).
//! 5. **Letters of scripts mixed the way look-alikes are made**
//!    ([`NameProblem::MixedScripts`]): a name is accepted if it is
//!    *single-script* in TR39's sense (its resolved script set is not
//!    empty; digits, spaces, punctuation and symbols count for every
//!    script), in any script, Latin, Cyrillic, Greek, Arabic, Han or any
//!    other, or if its letters meet TR39's *Highly Restrictive* level:
//!    Latin with Han and Hiragana/Katakana (Japanese), with Han and
//!    Bopomofo (Chinese) or with Han and Hangul (Korean), the way names
//!    are really written. Anything else is refused, Latin with Cyrillic
//!    or with Greek above all, whose letters copy Latin ones.
//!
//! Names of only digits or punctuation ("007", "--") are single-script
//! and fine.
//!
//! # What this does not do
//!
//! - It does not replace the ui core's own check (`susurro-ui`, no_std,
//!   no Unicode tables): the ui core still refuses an empty or too long
//!   name, spaces at the ends, a leading `+` and control characters
//!   whatever a front end does. Rules 1 and 4 are repeated here so that a
//!   front end can say why before it asks, and so that a name that is not
//!   a contact's (your own, in `init`) meets them too.
//! - It does not decide which names to compare with. The caller passes
//!   the other contacts' names: without the contact being renamed (a name
//!   never looks like itself), and without a contact of the very same
//!   name when the front end treats that as a key change (the CLI's
//!   `contacts import` exit 8, `--replace`).
//! - It does not look at names Susurro makes itself (`+1A2B3C-…`) or at
//!   what a name means: "Bob" and "Robert" are different names.

use core::fmt;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::mixed_script::AugmentedScriptSet;
use unicode_security::{MixedScript, RestrictionLevel, RestrictionLevelDetection};

/// Why a name was refused, to put in words (its [`fmt::Display`] is a
/// short sentence saying what to do, without a final period).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name is over 64 bytes of UTF-8.
    TooLong,
    /// The name looks like another contact's: their TR39 skeletons are
    /// equal, as written or in lower case.
    LooksLike {
        /// The contact's name, as stored.
        contact: String,
    },
    /// The name has an invisible, format or control character.
    Invisible {
        /// The first such character.
        ch: char,
    },
    /// The name starts or ends with white space.
    SpaceAtEnds,
    /// The name starts with `+`, which marks generated names.
    LeadingPlus,
    /// The name mixes scripts beyond TR39's "Highly Restrictive" level.
    MixedScripts {
        /// The scripts of its letters, in the order they first appear
        /// (Unicode's English names: "Latin", "Cyrillic", …).
        scripts: Vec<&'static str>,
    },
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the name is empty: give one"),
            Self::TooLong => f.write_str(
                "the name is too long: 64 bytes at most (an accented letter takes 2, \
                 a Chinese or Japanese character 3)",
            ),
            Self::LooksLike { contact } => write!(
                f,
                "the name looks like your contact {contact:?}: choose one that cannot \
                 be mistaken for theirs"
            ),
            Self::Invisible { ch } => write!(
                f,
                "the name contains U+{:04X}, an invisible or control character that can \
                 make one name look like another: type it without that character",
                u32::from(*ch)
            ),
            Self::SpaceAtEnds => f.write_str("the name starts or ends with a space: remove it"),
            Self::LeadingPlus => f.write_str(
                "the name starts with \"+\", which marks the names Susurro gives contacts \
                 received in a call: start it with something else",
            ),
            Self::MixedScripts { scripts } => {
                f.write_str("the name mixes ")?;
                let n = scripts.len();
                for (i, s) in scripts.iter().enumerate() {
                    let sep = match i {
                        0 => "",
                        _ if i + 1 == n => " and ",
                        _ => ", ",
                    };
                    write!(f, "{sep}{s}")?;
                }
                f.write_str(
                    " letters, as look-alike names do (a Cyrillic \"о\" looks like a Latin \
                     \"o\"): write it in one alphabet",
                )
            }
        }
    }
}

impl std::error::Error for NameProblem {}

/// Checks a name a person gives: their own, or a contact's (added,
/// imported, renamed), against `others`, the other contacts' names. The
/// rules, and why, are in the [module docs](crate::names).
///
/// `others` leaves out the contact being renamed; a name equal to one of
/// `others` is reported as a look-alike of it.
///
/// # Errors
/// The first rule the name breaks, in the order of the module docs.
pub fn check_name<'a>(
    name: &str,
    others: impl IntoIterator<Item = &'a str>,
) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if susurro_wire::Name::new(name).is_err() {
        return Err(NameProblem::TooLong);
    }
    let looks = Looks::of(name);
    if let Some(other) = others.into_iter().find(|o| looks.alike(&Looks::of(o))) {
        return Err(NameProblem::LooksLike {
            contact: other.to_owned(),
        });
    }
    if let Some(ch) = name.chars().find(|&c| invisible(c)) {
        return Err(NameProblem::Invisible { ch });
    }
    if name.trim() != name {
        return Err(NameProblem::SpaceAtEnds);
    }
    if name.starts_with('+') {
        return Err(NameProblem::LeadingPlus);
    }
    if let Some(scripts) = mixed_scripts(name) {
        return Err(NameProblem::MixedScripts { scripts });
    }
    Ok(())
}

/// What a name looks like: its TR39 skeleton as written and in lower
/// case ("Bob" and "bob" differ only in case; "ВОВ" and "BOB" only as
/// written, since "в" does not look like "b").
struct Looks {
    written: String,
    lower: String,
}

impl Looks {
    fn of(name: &str) -> Self {
        Self {
            written: unicode_security::skeleton(name).collect(),
            lower: unicode_security::skeleton(&name.to_lowercase()).collect(),
        }
    }

    fn alike(&self, other: &Self) -> bool {
        self.written == other.written || self.lower == other.lower
    }
}

/// Cc, Cf, Zl, Zp, or a Default_Ignorable_Code_Point.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
        || default_ignorable(c)
}

/// Default_Ignorable_Code_Point, from the crate that computes skeletons
/// (it keeps the table but does not export it): the skeleton drops
/// exactly these characters, and no other character has an empty one
/// (a test checks this against the property's ranges).
fn default_ignorable(c: char) -> bool {
    let mut buf = [0u8; 4];
    unicode_security::skeleton(c.encode_utf8(&mut buf))
        .next()
        .is_none()
}

/// The scripts of a name's letters if it mixes them beyond TR39's
/// "Highly Restrictive" level, else `None`.
fn mixed_scripts(name: &str) -> Option<Vec<&'static str>> {
    if name.is_single_script() {
        return None;
    }
    // The restriction level of the letters alone: TR39's detection also
    // refuses every character that is not allowed in identifiers (a
    // space, an emoji), which a name may well have.
    let letters: String = name
        .chars()
        .filter(|&c| !AugmentedScriptSet::for_char(c).is_all())
        .collect();
    if letters.as_str().detect_restriction_level() <= RestrictionLevel::HighlyRestrictive {
        return None;
    }
    let mut scripts: Vec<&'static str> = Vec::new();
    for c in letters.chars() {
        if let Some(s) = AugmentedScriptSet::for_char(c).base.iter().next() {
            let s = s.full_name();
            if !scripts.contains(&s) {
                scripts.push(s);
            }
        }
    }
    Some(scripts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn check(name: &str, others: &[&str]) -> Result<(), NameProblem> {
        check_name(name, others.iter().copied())
    }

    fn looks_like(name: &str, others: &[&str], contact: &str) {
        assert_eq!(
            check(name, others),
            Err(NameProblem::LooksLike {
                contact: contact.to_owned()
            }),
            "{name:?} against {others:?}"
        );
    }

    #[test]
    fn a_cyrillic_o_in_bob_looks_like_bob() {
        looks_like("b\u{43e}b", &["alice", "bob"], "bob");
        // Alone, it mixes Latin and Cyrillic.
        assert_eq!(
            check("b\u{43e}b", &["alice"]),
            Err(NameProblem::MixedScripts {
                scripts: vec!["Latin", "Cyrillic"]
            })
        );
        let words = check("b\u{43e}b", &[]).unwrap_err().to_string();
        assert!(words.contains("Latin and Cyrillic"), "{words}");
    }

    #[test]
    fn a_greek_alpha_in_alice_looks_like_alice() {
        looks_like("\u{391}lice", &["Alice"], "Alice");
        assert_eq!(
            check("\u{391}lice", &[]),
            Err(NameProblem::MixedScripts {
                scripts: vec!["Greek", "Latin"]
            })
        );
    }

    #[test]
    fn case_alone_does_not_make_a_new_name() {
        looks_like("Bob", &["bob"], "bob");
        looks_like("bob", &["BOB"], "BOB");
        // Cyrillic capitals that copy Latin ones, and a soft sign for "b".
        looks_like("\u{412}\u{41e}\u{412}", &["BOB"], "BOB");
        looks_like("\u{42c}ob", &["bob"], "bob");
        // TR39 does not take the small soft sign for a "b" (it has no
        // ascender); mixed with Latin it is refused all the same.
        assert!(matches!(
            check("\u{44c}ob", &["bob"]),
            Err(NameProblem::MixedScripts { .. })
        ));
        // The same name is a look-alike too (the caller leaves the
        // contact being renamed out).
        looks_like("bob", &["bob"], "bob");
        assert_eq!(check("bob", &[]), Ok(()));
    }

    #[test]
    fn direction_overrides_and_zero_width_characters_are_refused() {
        for (name, ch) in [
            ("\u{202e}bob", '\u{202e}'),
            ("ali\u{202e}ec", '\u{202e}'),
            ("car\u{200b}ol", '\u{200b}'),
            ("car\u{200d}ol", '\u{200d}'),
            ("car\u{200c}ol", '\u{200c}'),
            ("\u{feff}carol", '\u{feff}'),
            ("carol\u{2066}", '\u{2066}'),
            ("ca\u{ad}rol", '\u{ad}'),
            ("car\u{2028}ol", '\u{2028}'),
            ("car\u{2029}ol", '\u{2029}'),
            ("ca\u{7}rol", '\u{7}'),
            ("carol\n", '\n'),
            // Invisible letters and selectors: default ignorable.
            ("\u{3164}", '\u{3164}'),
            ("carol\u{fe0f}", '\u{fe0f}'),
            ("carol\u{e0041}", '\u{e0041}'),
            // Format characters that are not default ignorable.
            ("\u{600}12", '\u{600}'),
        ] {
            assert_eq!(
                check(name, &["alice"]),
                Err(NameProblem::Invisible { ch }),
                "{name:?}"
            );
        }
        // Against a contact it hides behind, the look-alike comes first.
        looks_like("\u{202e}bob", &["bob"], "bob");
        looks_like("b\u{200b}ob", &["bob"], "bob");
        looks_like("\u{feff}bob", &["bob"], "bob");
        let words = check("car\u{200b}ol", &[]).unwrap_err().to_string();
        assert!(words.contains("U+200B"), "{words}");
    }

    #[test]
    fn single_scripts_and_the_cjk_mixes_are_accepted() {
        for name in [
            "Борис",
            "Αλέξανδρος",
            "محمد",
            "דוד",
            "山田太郎",
            "やまだ たろう",
            "ヤマダ",
            "山田 はなこ",
            "王小明",
            "김민준",
            "Zoë Ångström",
            "Ze\u{301}",
            "佐藤 Sato さとう",
            "John 王",
            "Kim 민준",
            "ᏣᎳᎩ",
            "bob's phone",
            "007",
            "--",
            "Mum ❤",
        ] {
            assert_eq!(check(name, &["bob", "alice"]), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn other_mixes_are_refused() {
        for (name, scripts) in [
            ("Pavel Павел", vec!["Latin", "Cyrillic"]),
            ("\u{3b1}lpha", vec!["Greek", "Latin"]),
            ("Ali علي", vec!["Latin", "Arabic"]),
            ("Иван 王", vec!["Cyrillic", "Han"]),
        ] {
            assert_eq!(
                check(name, &[]),
                Err(NameProblem::MixedScripts { scripts }),
                "{name:?}"
            );
        }
    }

    #[test]
    fn names_that_differ_visibly_are_accepted() {
        for name in ["bobby", "rob", "bob 2", "bob's phone", "Bob Smith", "carol"] {
            assert_eq!(check(name, &["bob", "alice"]), Ok(()), "{name:?}");
        }
        // A pure Cyrillic name with no Latin look-alike in the book.
        assert_eq!(check("Борис", &["bob"]), Ok(()));
        // ... but a Cyrillic one that copies a contact's Latin name is not.
        looks_like("\u{430}\u{440}\u{435}\u{441}", &["apec"], "apec");
    }

    #[test]
    fn the_ui_core_rules_hold_too() {
        assert_eq!(check("", &[]), Err(NameProblem::Empty));
        assert_eq!(check(&"a".repeat(64), &[]), Ok(()));
        assert_eq!(check(&"a".repeat(65), &[]), Err(NameProblem::TooLong));
        assert_eq!(check(&"é".repeat(33), &[]), Err(NameProblem::TooLong));
        assert_eq!(check(" bob", &[]), Err(NameProblem::SpaceAtEnds));
        assert_eq!(check("bob ", &[]), Err(NameProblem::SpaceAtEnds));
        assert_eq!(check("bob\u{a0}", &[]), Err(NameProblem::SpaceAtEnds));
        assert_eq!(check("+1A2B3C-bob", &[]), Err(NameProblem::LeadingPlus));
        // A generated name in the book is compared like any other.
        assert_eq!(check("bob", &["+1A2B3C-bob"]), Ok(()));
    }

    #[test]
    fn every_problem_has_words() {
        for p in [
            NameProblem::Empty,
            NameProblem::TooLong,
            NameProblem::LooksLike {
                contact: "bob".to_owned(),
            },
            NameProblem::Invisible { ch: '\u{202e}' },
            NameProblem::SpaceAtEnds,
            NameProblem::LeadingPlus,
            NameProblem::MixedScripts {
                scripts: vec!["Latin", "Greek", "Cyrillic"],
            },
        ] {
            let w = p.to_string();
            assert!(w.starts_with("the name ") && w.contains(": "), "{w}");
        }
        assert!(
            NameProblem::MixedScripts {
                scripts: vec!["Latin", "Greek", "Cyrillic"]
            }
            .to_string()
            .contains("Latin, Greek and Cyrillic")
        );
        assert!(
            NameProblem::LooksLike {
                contact: "bob".to_owned()
            }
            .to_string()
            .contains("\"bob\"")
        );
    }

    /// Default_Ignorable_Code_Point (DerivedCoreProperties.txt; stable:
    /// the unassigned parts are reserved for it).
    const DEFAULT_IGNORABLE: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x061C, 0x061C),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFF8),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    ];

    #[test]
    fn an_empty_skeleton_is_exactly_default_ignorable() {
        let listed = |c: char| {
            DEFAULT_IGNORABLE
                .iter()
                .any(|&(lo, hi)| (lo..=hi).contains(&u32::from(c)))
        };
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(default_ignorable(c), listed(c), "U+{:04X}", u32::from(c));
        }
    }
}
