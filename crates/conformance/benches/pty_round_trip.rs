//! Scalar-multiplication request round trip to the storage module, in the
//! same process through a host and over a socat pty to `storage-node` in its
//! own process. Prints a table; `cargo bench -p susurro-conformance --bench
//! pty_round_trip`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

use std::path::Path;
use std::time::{Duration, Instant};

use susurro_host::{Endpoint, HostBuilder, LinkSpec, SerialConnector};
use susurro_wire::*;

const ROUNDS: usize = 300;

async fn answer(ep: &mut Endpoint) -> Message {
    loop {
        let env = tokio::time::timeout(Duration::from_secs(60), ep.recv())
            .await
            .expect("storage answered")
            .expect("host running");
        if env.src == ModuleId::Storage {
            return env.msg;
        }
    }
}

async fn measure(ep: &mut Endpoint) -> Vec<Duration> {
    let password = Password::new(b"bench password").unwrap();
    ep.send(ModuleId::Storage, CreateIdentity { password })
        .unwrap();
    match answer(ep).await {
        Message::UnlockResult(r) => assert_eq!(r.outcome, UnlockOutcome::Created),
        other => panic!("unexpected {other:?}"),
    }
    let mut times = Vec::with_capacity(ROUNDS);
    for i in 0..ROUNDS {
        let env = Envelope::new(
            ModuleId::Cryptor,
            ModuleId::Storage,
            ScalarMult {
                req: i as u16,
                point: [9; 32],
            },
        );
        let t = Instant::now();
        ep.send_envelope(env).unwrap();
        match answer(ep).await {
            Message::ScalarMultResult(r) => assert_eq!(r.req, i as u16),
            other => panic!("unexpected {other:?}"),
        }
        times.push(t.elapsed());
    }
    times.sort();
    times
}

fn row(name: &str, t: &[Duration]) {
    let p = |q: f64| t[((t.len() - 1) as f64 * q) as usize];
    println!(
        "| {name} | {:.0} µs | {:.0} µs | {:.0} µs |",
        p(0.5).as_secs_f64() * 1e6,
        p(0.9).as_secs_f64() * 1e6,
        p(0.99).as_secs_f64() * 1e6
    );
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("susurro-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("| path | median | p90 | p99 |\n|---|---|---|---|");

    // In process: the storage core as a task of the same host.
    let in_proc = rt.block_on(async {
        use susurro_storage::{FileStore, HeapMemory, Profile, StorageCore};
        let core: Box<susurro_storage::HostStorage> = Box::new(StorageCore::new(
            FileStore::new(dir.join("in-process")),
            HeapMemory::default(),
            Profile::TEST_ONLY_INSECURE,
        ));
        let mut host = HostBuilder::new("bench")
            .core(core)
            .endpoint_for(&[ModuleId::Ui, ModuleId::Cryptor])
            .start()
            .unwrap();
        let mut ep = host.endpoint(ModuleId::Ui).unwrap();
        let t = measure(&mut ep).await;
        host.shutdown().await.unwrap();
        t
    });
    row("in process (host task)", &in_proc);

    // Over a pty to a storage process.
    let pty = susurro_host::testing::PtyPair::new("bench").unwrap();
    let (a, b) = (pty.a(), pty.b());
    let _node = susurro_conformance::StorageNode::spawn(
        Path::new(env!("CARGO_BIN_EXE_storage-node")),
        b,
        &dir.join("pty-store"),
    )
    .unwrap();
    let over_pty = rt.block_on(async {
        let mut host = HostBuilder::new("bench")
            .endpoint_for(&[ModuleId::Ui, ModuleId::Cryptor])
            .link(LinkSpec::new(
                "token",
                &[ModuleId::Storage],
                SerialConnector::new(a.display().to_string(), 115_200),
            ))
            .start()
            .unwrap();
        let mut ep = host.endpoint(ModuleId::Ui).unwrap();
        let t = measure(&mut ep).await;
        host.shutdown().await.unwrap();
        t
    });
    row("over a pty to storage-node", &over_pty);
    let _ = std::fs::remove_dir_all(&dir);
}
