//! The Debian package: `cargo deb` packs this build's box binary (the test
//! profile's, so the test needs no release build), `dpkg --root` unpacks
//! it into a fresh root, and the unit file passes `systemd-analyze verify`
//! and `systemd-analyze security` there.
//!
//! Needs cargo-deb, dpkg and systemd-analyze (scripts/test.sh installs
//! them): the test fails, not skips, without them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_susurro-box");

fn run(c: &mut Command) -> Output {
    let what = format!("{c:?}");
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (scripts/test.sh installs it)"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Builds the .deb from the test profile's binary into `dir`.
fn build_deb(dir: &Path) -> PathBuf {
    // The binary is <target>/<profile>/susurro-box.
    let bin = Path::new(EXE);
    let profile_dir = bin.parent().unwrap();
    let target_dir = profile_dir.parent().unwrap();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev",
        other => other,
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(Command::new(cargo)
        .args([
            "deb",
            "-p",
            "susurro-box",
            "--no-build",
            "--no-strip",
            "--fast",
        ])
        .args(["--profile", profile])
        .arg("--output")
        .arg(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    let debs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    assert_eq!(debs.len(), 1, "{debs:?}");
    debs[0].clone()
}

#[test]
fn the_package_installs_into_a_fresh_root_and_its_unit_verifies() {
    let dir = tempfile::Builder::new()
        .prefix("susurro-deb-")
        .tempdir()
        .unwrap();
    let deb = build_deb(dir.path());

    // What the package says of itself.
    let info = text(&run(Command::new("dpkg-deb").arg("--info").arg(&deb)));
    assert!(info.contains("Package: susurro-box"), "{info}");
    assert!(info.contains("Architecture: amd64"), "{info}");
    let depends = info
        .lines()
        .find(|l| l.trim_start().starts_with("Depends:"))
        .unwrap_or_else(|| panic!("no Depends: {info}"));
    for lib in ["libc6", "libsqlite3-0"] {
        assert!(depends.contains(lib), "{depends}");
    }
    // The box links no audio code.
    for lib in ["libasound", "libopus", "libwebrtc", "libpulse"] {
        assert!(
            !depends.contains(lib),
            "the box depends on {lib}: {depends}"
        );
    }

    // A fresh root with an empty dpkg database: dpkg unpacks and
    // registers the files there. Configuring (postinst: systemctl, udev)
    // needs a running system, which a bare directory is not.
    let root = dir.path().join("root");
    for d in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--force-not-root", "--unpack"])
        .arg(&deb));
    let status = text(&run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--status", "susurro-box"])));
    assert!(status.contains("Status: install ok unpacked"), "{status}");
    assert!(
        status.contains("/etc/susurro/box.toml"),
        "box.toml is not a conffile: {status}"
    );
    let files = text(&run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--listfiles", "susurro-box"])));
    let unit = ["lib/systemd/system", "usr/lib/systemd/system"]
        .iter()
        .map(|d| root.join(d).join("susurro-box.service"))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no unit file installed:\n{files}"));
    for f in [
        "/usr/bin/susurro-box",
        "/etc/susurro/box.toml",
        "/usr/lib/udev/rules.d/60-susurro-link.rules",
        "susurro-box.service",
    ] {
        assert!(files.contains(f), "{f} not installed:\n{files}");
    }

    // The installed binary accepts the installed configuration (a
    // conffile waits as .dpkg-new until the package is configured).
    let conf = root.join("etc/susurro/box.toml.dpkg-new");
    assert!(conf.exists(), "no {}", conf.display());
    let check = text(&run(Command::new(root.join("usr/bin/susurro-box"))
        .arg("--config")
        .arg(&conf)
        .arg("--check")));
    assert!(check.contains("/dev/susurro-link"), "{check}");

    // The unit, against the fresh root with the system's own units beside
    // it (every Debian or Raspberry Pi OS system has systemd's targets):
    // no warning at all.
    let units = unit.parent().unwrap();
    run(Command::new("cp")
        .arg("-an")
        .arg("/usr/lib/systemd/system/.")
        .arg(units));
    let verify = Command::new("systemd-analyze")
        .arg(format!("--root={}", root.display()))
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .expect("systemd-analyze (apt-get install systemd)");
    let said = text(&verify);
    assert!(
        verify.status.success() && said.trim().is_empty(),
        "systemd-analyze verify:\n{said}"
    );

    // Its hardening, as systemd rates it (0 best, 10 worst; "OK" < 4.5).
    let sec = Command::new("systemd-analyze")
        .arg(format!("--root={}", root.display()))
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit)
        .output()
        .expect("systemd-analyze security");
    let said = text(&sec);
    let score: f64 = said
        .lines()
        .find_map(|l| l.split("Overall exposure level for ").nth(1))
        .and_then(|rest| rest.split(": ").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level:\n{said}"));
    eprintln!("systemd-analyze security: exposure {score}");
    assert!(score <= 2.5, "exposure {score}:\n{said}");
}
