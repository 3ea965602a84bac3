//! `susurro`: the desktop GUI. See the crate README.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use susurro_desktop::config::Home;
use susurro_desktop::{App, Handle, Launch};
use susurro_storage::Profile;
use zeroize::Zeroizing;

/// Susurro: end-to-end encrypted voice calls between two people, with no
/// server. This is the desktop window; `susurro-cli` is the same on the
/// command line and reads the same configuration.
#[derive(Debug, Parser)]
#[command(name = "susurro", version)]
struct Args {
    /// Keep configuration and data in this directory instead of the XDG
    /// directories (~/.config/susurro, ~/.local/share/susurro).
    #[arg(long, env = "SUSURRO_HOME")]
    home: Option<PathBuf>,
    /// Unlock with the password in this file (first line) at start.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Call this contact (by name), name.onion:port or host:port once unlocked.
    #[arg(long, value_name = "TARGET")]
    call: Option<String>,
    /// Read the microphone side of calls from this WAV file.
    #[arg(long, value_name = "WAV")]
    input: Option<PathBuf>,
    /// Write what you hear in calls to this WAV file (16 kHz).
    #[arg(long, value_name = "WAV")]
    output: Option<PathBuf>,
    /// New identities use the fast, insecure key derivation (tests only).
    #[arg(long, hide = true)]
    test_only_insecure: bool,
    /// Close the window after this many seconds (smoke tests).
    #[arg(long, value_name = "SECONDS")]
    exit_after: Option<f64>,
    /// Write start-up and frame-time figures to this file at exit (JSON).
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Log more (repeat for more detail); logs go to stderr.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() -> ExitCode {
    let t0 = Instant::now();
    let args = Args::parse();
    let filter = match args.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(args, t0) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("susurro: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args, t0: Instant) -> anyhow::Result<()> {
    let home = Home::locate(args.home.as_deref())?;
    let password = match &args.password_file {
        Some(f) => {
            let text = Zeroizing::new(std::fs::read_to_string(f).map_err(|e| {
                anyhow::anyhow!("cannot read the password file {}: {e}", f.display())
            })?);
            Some(Zeroizing::new(
                text.lines().next().unwrap_or_default().to_owned(),
            ))
        }
        None => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let launch = Launch {
        home,
        profile: if args.test_only_insecure {
            Profile::TEST_ONLY_INSECURE
        } else {
            Profile::HOST
        },
        input: args.input.clone(),
        output: args.output.clone(),
        password,
        call: args.call.clone(),
        list_devices: true,
    };
    let (handle, task) = {
        let _guard = rt.enter();
        Handle::spawn(launch)
    };
    let app = App::new(handle.clone())
        .started_at(t0)
        .exit_after(args.exit_after.map(Duration::from_secs_f64));
    let stats = app.stats();
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Susurro")
            .with_app_id("susurro")
            .with_inner_size([760.0, 720.0])
            .with_min_inner_size([420.0, 360.0]),
        // X11 (XWayland on a Wayland session): the GL context is built for
        // X11 only, and the accessibility feature also compiles winit's
        // Wayland backend, which winit would otherwise pick there.
        #[cfg(target_os = "linux")]
        event_loop_builder: Some(Box::new(|b| {
            use winit::platform::x11::EventLoopBuilderExtX11 as _;
            b.with_x11();
        })),
        ..Default::default()
    };
    let r = eframe::run_native("Susurro", options, Box::new(move |_cc| Ok(Box::new(app))));
    // Lock the key store and stop the modules, whatever the window did.
    handle.send(susurro_desktop::Request::Shutdown);
    let _ = rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
    rt.shutdown_timeout(Duration::from_secs(2));
    if let Some(path) = &args.stats
        && let Ok(s) = stats.lock()
    {
        std::fs::write(path, susurro_desktop::metrics::stats_json(&s))?;
    }
    r.map_err(|e| anyhow::anyhow!("the window could not open: {e}"))
}
