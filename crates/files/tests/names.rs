#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `sanitize_name` and saving without overwriting.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use susurro_files::{place_without_overwrite, sanitize_name};

#[test]
fn names_from_a_peer_are_made_safe() {
    let cases: &[(&str, &str)] = &[
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x", "x"),
        ("C:\\Users\\me\\evil.exe", "evil.exe"),
        ("dir/", "file"),
        (".bashrc", "bashrc"),
        ("...hidden", "hidden"),
        (". .profile", "profile"),
        ("..", "file"),
        ("....", "file"),
        ("a..b", "a.b"),
        ("", "file"),
        ("   ", "file"),
        ("  spaced name.txt  ", "spaced name.txt"),
        ("trailing.", "trailing"),
        // U+202E RIGHT-TO-LEFT OVERRIDE: "invoice\u{202E}fdp.exe" shows
        // as "invoiceexe.pdf".
        ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        ("a\u{200B}b\u{200D}c\u{FEFF}\u{2066}d.txt", "abcd.txt"),
        ("tab\tnew\nline\u{7f}.txt", "tabnewline.txt"),
        ("line\u{2028}sep.txt", "linesep.txt"),
        ("x:y?z*\"<>|.txt", "x_y_z_____.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Nul.tar.gz", "_Nul.tar.gz"),
        ("LPT1", "_LPT1"),
        ("com9.log", "_com9.log"),
        ("COM\u{b9}", "_COM\u{b9}"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("aux ", "_aux"),
        ("\u{202E}", "file"),
        ("héllo wörld.txt", "héllo wörld.txt"),
    ];
    for (input, want) in cases {
        assert_eq!(&sanitize_name(input), want, "{input:?}");
    }
}

#[test]
fn long_names_are_cut_at_160_bytes_keeping_the_extension() {
    let long = format!("{}.pdf", "a".repeat(296));
    assert_eq!(long.len(), 300);
    let s = sanitize_name(&long);
    assert_eq!(s.len(), 160);
    assert!(s.ends_with(".pdf") && s.starts_with("aaaa"), "{s}");
    // Two-byte characters: cut at a character boundary.
    let long = format!("{}.txt", "é".repeat(150));
    let s = sanitize_name(&long);
    assert!(s.len() <= 160 && s.len() >= 158, "{}", s.len());
    assert!(s.ends_with(".txt"));
    assert!(s.trim_end_matches(".txt").chars().all(|c| c == 'é'));
    // No extension, or one too long to keep: cut as a whole.
    let s = sanitize_name(&"€".repeat(100));
    assert_eq!(s.len(), 159);
    let s = sanitize_name(&format!("a.{}", "x".repeat(200)));
    assert_eq!(s.len(), 160);
    assert!(s.starts_with("a.xxx"));
    // Reserved and long.
    let s = sanitize_name(&format!("con.{}", "x".repeat(200)));
    assert!(s.starts_with("_con.") && s.len() == 160, "{s}");
}

#[test]
fn any_input_gives_a_safe_name() {
    let mut rng = StdRng::seed_from_u64(5);
    let alphabet: Vec<char> = "aZ0 ./\\:.\u{0}\u{1f}\u{7f}\u{202E}\u{200B}é€😀CONul1\t"
        .chars()
        .collect();
    for _ in 0..5000 {
        let n = rng.random_range(0..400);
        let s: String = (0..n)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        let out = sanitize_name(&s);
        assert!(!out.is_empty() && out.len() <= 160, "{s:?} -> {out:?}");
        assert!(!out.contains(['/', '\\']) && !out.contains(".."), "{out:?}");
        assert!(!out.starts_with('.') && !out.starts_with(' '), "{out:?}");
        assert!(!out.ends_with(' ') && !out.ends_with('.'), "{out:?}");
        assert!(
            !out.chars()
                .any(|c| c.is_control() || c == '\u{202E}' || c == '\u{200B}'),
            "{out:?}"
        );
        assert_eq!(sanitize_name(&out), out, "not stable: {s:?}");
    }
}

#[test]
fn saving_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.txt"), b"mine").unwrap();
    let mut placed = Vec::new();
    for i in 0..3 {
        let temp = d.join(format!(".t{i}"));
        std::fs::write(&temp, format!("theirs {i}")).unwrap();
        let p = place_without_overwrite(&temp, d, "a.txt").unwrap();
        assert!(!temp.exists());
        placed.push(p);
    }
    assert_eq!(
        placed,
        vec![
            d.join("a (1).txt"),
            d.join("a (2).txt"),
            d.join("a (3).txt")
        ]
    );
    assert_eq!(std::fs::read(d.join("a.txt")).unwrap(), b"mine");
    assert_eq!(std::fs::read(d.join("a (2).txt")).unwrap(), b"theirs 1");
    // No extension.
    std::fs::write(d.join("README"), b"x").unwrap();
    let temp = d.join(".t");
    std::fs::write(&temp, b"y").unwrap();
    assert_eq!(
        place_without_overwrite(&temp, d, "README").unwrap(),
        d.join("README (1)")
    );
    // A free name is used as is.
    let temp = d.join(".u");
    std::fs::write(&temp, b"z").unwrap();
    assert_eq!(
        place_without_overwrite(&temp, d, "new.bin").unwrap(),
        d.join("new.bin")
    );
}
