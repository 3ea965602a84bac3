//! What the GUI tests share: a person (a temp home, the real app with its
//! four modules on a shared runtime, driven through the accessibility
//! tree), waits with bounds, onboarding.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use susurro_desktop::config::{Config, Home, Mode, Network, Storage, Tor};
use susurro_desktop::{App, Handle, Launch, Request};
use susurro_storage::Profile;
use susurro_ui::View;

/// The window's size in the tests.
pub const SIZE: [f32; 2] = [760.0, 720.0];

/// The speech sample the calls send (CC BY-SA 3.0, see
/// crates/audio/testdata/LICENSE.md).
pub fn wav() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/audio/testdata/natural-allison-16k.wav")
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One person: a home in a temp dir, the app on the shared runtime.
pub struct Person {
    pub h: Harness<'static, App>,
    pub dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

/// A person in direct TCP mode: only the port (a free one) and the mode
/// are set beforehand (Tor is the default of a new identity).
pub fn person(rt: &tokio::runtime::Runtime) -> Person {
    person_with(rt, Tor::default(), Mode::Direct)
}

/// A person whose `config.toml` is prepared with `mode`, a free port and
/// the `[tor]` section `tor` (a private network, or empty: the public one)
/// before the app starts; the name comes from onboarding.
pub fn person_with(rt: &tokio::runtime::Runtime, tor: Tor, mode: Mode) -> Person {
    let dir = tempfile::tempdir().unwrap();
    let home = Home {
        config_dir: dir.path().to_owned(),
        data_dir: dir.path().to_owned(),
    };
    home.save(&Config {
        name: String::new(),
        network: Network {
            mode,
            port: free_port(),
            ..Network::default()
        },
        audio: Default::default(),
        storage: Storage {
            serial: None,
            profile: Some("test-only-insecure".to_owned()),
        },
        tor,
        transport_box: Default::default(),
        messages: Default::default(),
        files: Default::default(),
    })
    .unwrap();
    let launch = Launch {
        home,
        profile: Profile::TEST_ONLY_INSECURE,
        input: Some(wav()),
        output: Some(dir.path().join("heard.wav")),
        password: None,
        call: None,
        list_devices: false,
    };
    let (handle, task) = {
        let _g = rt.enter();
        Handle::spawn(launch)
    };
    let h = Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    Person { h, dir, task }
}

/// The app started again on the home `dir` a person left
/// ([`Person::stop`]): the same config, store, history and transfers.
pub fn restart(rt: &tokio::runtime::Runtime, dir: tempfile::TempDir) -> Person {
    let home = Home {
        config_dir: dir.path().to_owned(),
        data_dir: dir.path().to_owned(),
    };
    let launch = Launch {
        home,
        profile: Profile::TEST_ONLY_INSECURE,
        input: Some(wav()),
        output: Some(dir.path().join("heard.wav")),
        password: None,
        call: None,
        list_devices: false,
    };
    let (handle, task) = {
        let _g = rt.enter();
        Handle::spawn(launch)
    };
    let h = Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(handle));
    Person { h, dir, task }
}

impl Person {
    pub fn view(&self) -> &View {
        self.h.state().view()
    }

    pub fn has(&self, label: &str) -> bool {
        self.h.query_by_label(label).is_some()
    }

    pub fn has_text(&self, part: &str) -> bool {
        self.h.query_by_label_contains(part).is_some()
    }

    pub fn click(&mut self, label: &str) {
        self.h.get_by_label(label).click();
        self.h.step();
        self.h.step();
    }

    pub fn type_into(&mut self, label: &str, text: &str) {
        self.h.get_by_label(label).focus();
        self.h.step();
        self.h.get_by_label(label).type_text(text);
        self.h.step();
    }

    /// Replaces what a (visible) text field holds, checking the result:
    /// select-all then typing does not always land in the same frame.
    pub fn replace_text(&mut self, label: &str, text: &str) {
        for _ in 0..5 {
            self.h.get_by_label(label).focus();
            self.h.step();
            self.h.step();
            self.h
                .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
            self.h.step();
            self.h.get_by_label(label).type_text(text);
            self.h.step();
            if self.h.get_by_label(label).value().as_deref() == Some(text) {
                return;
            }
        }
        panic!("could not replace the text of {label}");
    }

    /// Fills the restore form and presses Restore until the app took it
    /// (it is working or has answered): a password typed while the focus
    /// was still moving, or a click that did not land, is tried again.
    pub fn ask_restore(&mut self, file: &Path, password: &str) {
        for _ in 0..5 {
            self.replace_text("Backup file", file.to_str().unwrap());
            self.type_into("Backup password", password);
            for _ in 0..3 {
                self.click("Restore");
                let until = Instant::now() + Duration::from_secs(2);
                while Instant::now() < until {
                    self.h.step();
                    let s = self.h.state().snapshot();
                    if s.working || s.notice.is_some() {
                        return;
                    }
                    if self.has_text("Enter the backup") {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                if self.has_text("Enter the backup") {
                    self.click("OK");
                    break;
                }
            }
        }
        panic!("could not fill in the restore form");
    }

    pub fn enter(&mut self) {
        self.h.key_press(egui::Key::Enter);
        self.h.step();
        self.h.step();
    }

    /// Stops the app (it locks the store and stops the modules); returns
    /// the home, kept until the returned directory is dropped.
    pub fn stop(self, rt: &tokio::runtime::Runtime) -> tempfile::TempDir {
        self.h.state().handle().send(Request::Shutdown);
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), self.task).await })
            .expect("the app stopped in time")
            .unwrap();
        self.dir
    }
}

/// Steps every harness until `done` holds, within `secs`.
pub fn wait(
    people: &mut [&mut Person],
    secs: u64,
    what: &str,
    done: impl Fn(&[&mut Person]) -> bool,
) {
    wait_paced(
        people,
        Duration::from_secs(secs),
        Duration::from_millis(10),
        what,
        done,
    );
}

/// Steps every harness until `done` holds, within `bound`, pausing `pause`
/// between rounds; on timeout the panic shows each person's network, call,
/// notice and error.
pub fn wait_paced(
    people: &mut [&mut Person],
    bound: Duration,
    pause: Duration,
    what: &str,
    done: impl Fn(&[&mut Person]) -> bool,
) {
    let end = Instant::now() + bound;
    loop {
        for p in people.iter_mut() {
            p.h.step();
        }
        if done(people) {
            for p in people.iter_mut() {
                p.h.step();
            }
            return;
        }
        if Instant::now() > end {
            let states: Vec<String> = people
                .iter()
                .map(|p| {
                    let s = p.h.state().snapshot();
                    format!(
                        "network {:?}, call {:?}, notice {:?}, error {:?}, files {:?}, conversation {:?}, arrived {:?}, shown {:?}",
                        s.view.network,
                        s.view.call,
                        s.notice,
                        s.view.last_error,
                        s.files,
                        s.conversation,
                        s.arrived,
                        p.h.state().conversation()
                    )
                })
                .collect();
            panic!("gave up waiting for {what} after {bound:?}: {states:#?}");
        }
        std::thread::sleep(pause);
    }
}

pub fn wait1(p: &mut Person, secs: u64, what: &str, done: impl Fn(&Person) -> bool) {
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        p.h.step();
        if done(p) {
            p.h.step();
            return;
        }
        if Instant::now() > until {
            let s = p.h.state().snapshot();
            panic!(
                "gave up waiting for {what}: store {:?}, error {:?}, notice {:?}, call {:?}",
                s.view.store, s.view.last_error, s.notice, s.view.call
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The runtime the apps' modules run on (2 workers, as the binary's).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Onboarding as a person does it: name, password twice, create, wait for
/// the network step, continue.
pub fn onboard(p: &mut Person, name: &str) {
    wait1(p, 20, "the welcome screen", |p| p.has("Create my identity"));
    p.type_into("Your name (shown on your contact card)", name);
    p.type_into("Password", "correct horse");
    p.type_into("Password again", "correct horse");
    p.click("Create my identity");
    wait1(p, 30, "the network step", |p| {
        p.has("Continue") && p.view().network.listening
    });
    assert!(
        p.has_text("Network 100 %"),
        "progress bar at 100 % in direct mode"
    );
    assert!(p.has_text("Direct TCP: listening for calls"));
    p.click("Continue");
    wait1(p, 10, "my card", |p| p.has("Card text"));
}

pub fn p_has_verified(p: &Person) -> bool {
    p.has("verified")
}

pub fn card_text(p: &Person) -> String {
    p.h.get_by_label("Card text").value().unwrap_or_default()
}
