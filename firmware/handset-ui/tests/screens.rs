//! Every screen drawn into an in-memory Rgb565 framebuffer and compared
//! with its PNG in `snapshots/` pixel for pixel. `UPDATE_SNAPSHOTS=1`
//! writes the PNGs instead; a mismatch writes `<name>.new.png` beside the
//! old one (ignored by git) to look at.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_graphics::pixelcolor::{Rgb565, Rgb888};
use embedded_graphics::prelude::*;
use susurro_handset_ui::{Control, Frame, HEIGHT, HandsetUi, PIXELS, Screen, Touch, WIDTH};
use susurro_ui::View;

fn render(ui: &HandsetUi, view: &View) -> Vec<u8> {
    let mut pixels = vec![0u16; PIXELS];
    let mut frame = Frame::new(&mut pixels).unwrap();
    ui.draw(view, common::now(), &mut frame).unwrap();
    pixels
        .iter()
        .flat_map(|&raw| {
            let c = Rgb888::from(Rgb565::from(RawU16::new(raw)));
            [c.r(), c.g(), c.b()]
        })
        .collect()
}

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots")
}

fn write_png(path: &Path, rgb: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::High);
    enc.write_header().unwrap().write_image_data(rgb).unwrap();
}

fn read_png(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height),
        (WIDTH, HEIGHT),
        "{}",
        path.display()
    );
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(info.buffer_size());
    Some(buf)
}

/// Compares (or with `UPDATE_SNAPSHOTS=1` writes) one picture; returns a
/// failure line or `None`.
fn check(name: &str, rgb: &[u8]) -> Option<String> {
    let path = snapshots().join(format!("{name}.png"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        write_png(&path, rgb);
        return None;
    }
    match read_png(&path) {
        Some(old) if old == rgb => None,
        Some(old) => {
            let differ = old
                .chunks(3)
                .zip(rgb.chunks(3))
                .filter(|(a, b)| a != b)
                .count();
            let new = snapshots().join(format!("{name}.new.png"));
            write_png(&new, rgb);
            Some(format!(
                "{name}: {differ} pixels differ (see {})",
                new.display()
            ))
        }
        None => Some(format!(
            "{name}: no snapshot {} (run with UPDATE_SNAPSHOTS=1)",
            path.display()
        )),
    }
}

#[test]
fn screens_match_snapshots() {
    common::on_big_stack(screens_match_snapshots_body);
}

fn screens_match_snapshots_body() {
    let ui = HandsetUi::new();
    let mut failures = Vec::new();
    let mut names = Vec::new();
    for (name, view) in common::screens() {
        failures.extend(check(name, &render(&ui, &view)));
        names.push(name);
    }
    // Screens that need typed text or an open panel.
    for (name, view, taps) in typed_screens() {
        let mut ui = HandsetUi::new();
        for c in taps {
            tap(&mut ui, &view, c);
        }
        failures.extend(check(name, &render(&ui, &view)));
        names.push(name);
    }
    assert!(
        failures.is_empty(),
        "snapshots differ:\n  {}",
        failures.join("\n  ")
    );
    // Every committed PNG is drawn by a test (no stale pictures).
    let stale: Vec<String> = std::fs::read_dir(snapshots())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|f| f.ends_with(".png") && !f.ends_with(".new.png"))
        .filter(|f| !names.iter().any(|n| format!("{n}.png") == *f))
        .collect();
    assert!(stale.is_empty(), "snapshots no test draws: {stale:?}");
}

fn tap(ui: &mut HandsetUi, view: &View, control: Control) {
    let (area, _) = ui
        .controls(view, common::now())
        .into_iter()
        .find(|(_, c)| *c == control)
        .unwrap_or_else(|| panic!("no {control:?} on {:?}", ui.screen(view)));
    let t = ui.touch(view, common::now(), area.center(), |_| ());
    assert_ne!(t, Touch::Missed, "{control:?}");
}

fn typed_screens() -> Vec<(&'static str, View, Vec<Control>)> {
    let unlock = common::store(susurro_wire::StoreState::Locked, 10);
    let call = common::in_call();
    vec![
        (
            "unlock_typed",
            unlock,
            vec![
                Control::Digit(4),
                Control::Digit(2),
                Control::Digit(7),
                Control::Digit(1),
            ],
        ),
        (
            "compare",
            call.clone(),
            vec![
                Control::OpenCompare,
                Control::Key('b'),
                Control::Key('l'),
                Control::Key('u'),
                Control::Key('e'),
                Control::Space,
                Control::Key('d'),
                Control::Key('o'),
                Control::Key('o'),
                Control::Key('r'),
            ],
        ),
        ("quality", call, vec![Control::OpenQuality]),
    ]
}

#[test]
fn each_screen_is_the_one_named() {
    common::on_big_stack(each_screen_is_the_one_named_body);
}

fn each_screen_is_the_one_named_body() {
    let ui = HandsetUi::new();
    let expect = [
        ("waiting", Screen::Waiting),
        ("setup", Screen::Setup),
        ("setup_after_wipe", Screen::Setup),
        ("unlock", Screen::Unlock),
        ("locked_out", Screen::LockedOut),
        ("damaged", Screen::Damaged),
        ("contacts", Screen::Contacts),
        ("contacts_box_offline", Screen::Contacts),
        ("calling", Screen::Calling),
        ("incoming_securing", Screen::Incoming),
        ("incoming", Screen::Incoming),
        ("call", Screen::Call),
        ("received", Screen::Received),
        ("ended", Screen::Ended),
    ];
    let screens = common::screens();
    for (name, screen) in expect {
        let (_, view) = screens.iter().find(|(n, _)| *n == name).unwrap();
        assert_eq!(ui.screen(view), screen, "{name}");
    }
}
