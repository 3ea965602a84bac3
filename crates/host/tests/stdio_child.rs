//! A module hosted in a child process, reached over its stdin/stdout: the
//! shape of `susurro-cli module <name> --stdio`. The test binary runs itself
//! as the child (no libtest harness, so stdout carries only frames).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::Duration;

use susurro_host::*;
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::*;

/// A minimal storage stand-in for the link test: answers status requests
/// and counts them. (The real storage core is tested in its own crate.)
struct StatusCore {
    asked: u8,
}

impl ModuleCore for StatusCore {
    fn module(&self) -> ModuleId {
        ModuleId::Storage
    }
    fn handle(&mut self, _now: Instant, input: Input<'_>, out: &mut Outbox) {
        if let Input::Message(env) = input
            && let Message::StoreStatusRequest(_) = env.msg
        {
            self.asked = self.asked.wrapping_add(1);
            let _ = out.send(
                env.src,
                StoreStatus {
                    state: StoreState::Locked,
                    attempts_left: self.asked,
                    retry_after_s: 0,
                },
            );
        }
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
}

fn child() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let host = HostBuilder::new("child")
            .core(StatusCore { asked: 0 })
            .link(LinkSpec::new(
                "parent",
                &[ModuleId::Ui],
                StdioConnector::new(),
            ))
            .start()
            .unwrap();
        // Live until the parent closes our stdin (the link then cannot reconnect).
        tokio::time::sleep(Duration::from_secs(30)).await;
        host.shutdown().await.unwrap();
    });
}

fn main() {
    if std::env::var_os("SUSURRO_STDIO_CHILD").is_some() {
        child();
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let exe = std::env::current_exe().unwrap();
        let connector =
            ChildConnector::new(exe.display().to_string(), vec![]).env("SUSURRO_STDIO_CHILD", "1");
        let mut host = HostBuilder::new("parent")
            .endpoint(ModuleId::Ui)
            .link(LinkSpec::new("child", &[ModuleId::Storage], connector))
            .start()
            .unwrap();
        let mut ui = host.endpoint(ModuleId::Ui).unwrap();
        for i in 1..=50u8 {
            ui.send(ModuleId::Storage, StoreStatusRequest {}).unwrap();
            loop {
                let env = tokio::time::timeout(Duration::from_secs(10), ui.recv())
                    .await
                    .expect("child answered")
                    .unwrap();
                match env.msg {
                    Message::StoreStatus(s) => {
                        assert_eq!(s.attempts_left, i, "answers in order, exactly once");
                        break;
                    }
                    Message::LinkStatus(_) => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        host.shutdown().await.unwrap();
    });
    println!("stdio child link: 1 passed, 0 failed");
}
