//! The process-level stop request every long-running front end waits for.

/// Resolves on Ctrl-C (SIGINT) or SIGTERM (what systemd and `kill` send),
/// whichever comes first. Where SIGTERM cannot be watched, Ctrl-C alone.
pub async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}
