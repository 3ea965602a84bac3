//! The Tor task (`NetworkConfig { Tor }`): bootstraps the embedded arti
//! client, publishes our onion service and feeds its streams to the same
//! gate and call code as TCP, reporting progress in `NetworkStatus`.

use core::time::Duration;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, PoisonError};

use futures::StreamExt as _;
use susurro_wire::{Address, ErrorCode, NetworkStatus, PathKind};
use tokio::task::JoinHandle;
use tokio::time::sleep;
use tor_cell::relaycell::msg::{Connected, End, EndReason};
use tor_hsservice::StreamRequest;
use tor_hsservice::status::State;
use tor_proto::stream::IncomingStreamRequest;

use super::Shared;
use super::listen::Acceptor;
use crate::tor::{Client, client_config, create_client, launch_service, service_key};

/// Pause before bootstrapping again after a failure.
const RETRY: Duration = Duration::from_secs(5);

/// Creates the client (state under `cfg.state_dir`) and starts the task.
pub(super) fn start(
    shared: Arc<Shared>,
    ids: Arc<AtomicU32>,
    listen: bool,
    port: u16,
) -> Result<JoinHandle<()>, ()> {
    let settings = shared.cfg.tor.clone().unwrap_or_default();
    let cfg = client_config(&settings, shared.cfg.state_dir.as_deref()).map_err(|_| ())?;
    let client = create_client(cfg).map_err(|_| ())?;
    *shared.tor.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&client));
    let s = Arc::clone(&shared);
    Ok(shared.spawn(run(s, client, settings.nickname, ids, listen, port)))
}

fn percent(ev: &arti_client::status::BootstrapStatus) -> u8 {
    let p = (ev.as_frac().clamp(0.0, 1.0) * 100.0).round();
    // In 0..=100 after the clamp.
    let p = p as u32;
    u8::try_from(p.min(100)).unwrap_or(100)
}

/// Reports `st` if it changed.
fn report(shared: &Shared, last: &mut Option<NetworkStatus>, st: &NetworkStatus) {
    if last.as_ref() != Some(st) {
        shared.send(st.clone());
        *last = Some(st.clone());
    }
}

async fn run(
    shared: Arc<Shared>,
    client: Arc<Client>,
    nickname: String,
    ids: Arc<AtomicU32>,
    listen: bool,
    port: u16,
) {
    let mut st = NetworkStatus {
        bootstrap_percent: 0,
        onion_published: false,
        listening: false,
        address: Address::None,
    };
    let mut last = None;
    report(&shared, &mut last, &st);
    let mut events = client.bootstrap_events();

    // Bootstrap, reporting progress; retry after a failure.
    loop {
        let boot = client.bootstrap();
        tokio::pin!(boot);
        let ok = loop {
            tokio::select! {
                r = &mut boot => break r.is_ok(),
                Some(ev) = events.next() => {
                    // 100 only once bootstrap() returned.
                    st.bootstrap_percent = percent(&ev).min(99);
                    report(&shared, &mut last, &st);
                }
            }
        };
        if ok {
            break;
        }
        shared.send(susurro_wire::ErrorReport {
            call: 0,
            code: ErrorCode::TransportDown,
        });
        sleep(RETRY).await;
    }
    st.bootstrap_percent = 100;
    report(&shared, &mut last, &st);
    if !listen {
        follow_bootstrap(&shared, &mut events, &mut st, &mut last).await;
        return;
    }

    // Our onion service: its key stays in arti's keystore under the state
    // directory, so the address survives restarts.
    let launched = launch_service(&client, &nickname);
    let Ok((svc, rend)) = launched else {
        shared.send(susurro_wire::ErrorReport {
            call: 0,
            code: ErrorCode::TransportDown,
        });
        follow_bootstrap(&shared, &mut events, &mut st, &mut last).await;
        return;
    };
    let Some(key) = service_key(&svc) else {
        shared.send(susurro_wire::ErrorReport {
            call: 0,
            code: ErrorCode::TransportDown,
        });
        follow_bootstrap(&shared, &mut events, &mut st, &mut last).await;
        return;
    };
    let address = Address::Onion { key, port };
    let acc = Acceptor::new(
        crate::access::access_key_for(&address),
        Arc::clone(&shared),
        ids,
        PathKind::Tor,
    );
    shared.set_gate(Some(Arc::clone(&acc.gate)));
    st.listening = true;
    st.address = address;
    report(&shared, &mut last, &st);

    let requests = tor_hsservice::handle_rend_requests(rend);
    tokio::pin!(requests);
    let mut status = svc.status_events();
    let published = |s: State| matches!(s, State::Running | State::DegradedReachable);
    st.onion_published = published(svc.status().state());
    report(&shared, &mut last, &st);
    loop {
        tokio::select! {
            req = requests.next() => match req {
                Some(req) => {
                    let acc = acc.clone();
                    shared.spawn(accept(req, port, acc));
                }
                None => {
                    st.listening = false;
                    st.onion_published = false;
                    report(&shared, &mut last, &st);
                    follow_bootstrap(&shared, &mut events, &mut st, &mut last).await;
                    return;
                }
            },
            Some(s) = status.next() => {
                st.onion_published = published(s.state());
                report(&shared, &mut last, &st);
            }
            Some(ev) = events.next() => {
                st.bootstrap_percent = percent(&ev);
                report(&shared, &mut last, &st);
            }
        }
    }
}

/// Reports bootstrap changes until the task is stopped.
async fn follow_bootstrap(
    shared: &Shared,
    events: &mut arti_client::status::BootstrapEvents,
    st: &mut NetworkStatus,
    last: &mut Option<NetworkStatus>,
) {
    while let Some(ev) = events.next().await {
        st.bootstrap_percent = percent(&ev);
        report(shared, last, st);
    }
}

/// Accepts a stream to our virtual port (others get `END DONE`, as other
/// onion services answer) and hands it to the gate.
async fn accept(req: StreamRequest, port: u16, acc: Acceptor) {
    let ours = matches!(req.request(), IncomingStreamRequest::Begin(b) if b.port() == port);
    if !ours {
        let _ = req.reject(End::new_with_reason(EndReason::DONE)).await;
        return;
    }
    if let Ok(stream) = req.accept(Connected::new_empty()).await {
        // No source address: every stream comes from the onion service.
        acc.handle(Box::new(stream), None);
    }
}
