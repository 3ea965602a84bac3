//! The front end's side of the ui core: feed it the router's messages and
//! the user's actions, wait for what the user waits for, print events.

use std::io::Write;
use std::time::Duration;

use susurro_host::{Clock, Endpoint};
use susurro_ui::{Action, UiConfig, UiCore, UiEvent, View};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{ModuleId, Secret};
use tokio::time::{Instant, sleep_until};

use crate::exit::{Code, Failure};

/// Prints one line on stdout, ignoring a closed pipe.
pub fn print_line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

/// The ui core and its endpoint.
pub struct Front {
    /// The core (read its view; act through [`Front::act`]).
    pub core: UiCore,
    ep: Endpoint,
    clock: Clock,
    out: Outbox,
}

impl Front {
    /// Starts the core on `ep`.
    pub fn start(ep: Endpoint, clock: Clock) -> Result<Self, Failure> {
        Self::start_with(ep, clock, UiConfig::default())
    }

    /// Starts the core on `ep` with `config`.
    pub fn start_with(ep: Endpoint, clock: Clock, config: UiConfig) -> Result<Self, Failure> {
        let mut f = Self {
            core: UiCore::new(config),
            ep,
            clock,
            out: Outbox::new(ModuleId::Ui),
        };
        let now = f.clock.now();
        f.core.handle(now, Input::Start, &mut f.out);
        f.flush()?;
        Ok(f)
    }

    /// The view.
    pub fn view(&self) -> &View {
        self.core.view()
    }

    fn flush(&mut self) -> Result<(), Failure> {
        let (clock, ep) = (&self.clock, &self.ep);
        susurro_wire::serve(
            &mut self.core,
            &mut self.out,
            || clock.now(),
            |env| ep.send_envelope(env),
            getrandom::fill,
        )
        .map_err(|e| match e {
            susurro_wire::ServeError::Send(_) => Failure::error("the module host stopped"),
            susurro_wire::ServeError::Entropy(e) => Failure::error(format!("no entropy: {e}")),
        })
    }

    /// Does what the user asked; a refusal becomes a usage failure in the
    /// ui core's words.
    pub fn act(&mut self, a: Action<'_>) -> Result<(), Failure> {
        let now = self.clock.now();
        let r = self.core.act(now, a, &mut self.out);
        self.flush()?;
        r.map_err(|e| Failure::usage(e.message()))
    }

    /// Storage's history key, waiting for it up to `within` (`None`: it
    /// did not come).
    pub async fn history_key(&mut self, within: Duration) -> Option<Secret<32>> {
        let until = Instant::now() + within;
        loop {
            if let Some(k) = self.core.history_key() {
                return Some(k.clone());
            }
            if !self.pump(until).await.ok()? {
                return None;
            }
        }
    }

    /// Takes the next queued event, if any.
    pub fn event(&mut self) -> Option<UiEvent> {
        self.core.poll_event()
    }

    /// Waits for one input (a message or the core's deadline) until `until`;
    /// false when `until` passed first.
    pub async fn pump(&mut self, until: Instant) -> Result<bool, Failure> {
        let deadline = self.core.deadline().map(|t| self.clock.to_tokio(t));
        let input = tokio::select! {
            m = self.ep.recv() => match m {
                Some(env) => Input::Message(env),
                None => return Err(Failure::error("the module host stopped")),
            },
            () = sleep_opt(deadline) => Input::Timer,
            () = sleep_until(until) => return Ok(false),
        };
        let now = self.clock.now();
        self.core.handle(now, input, &mut self.out);
        self.flush()?;
        Ok(true)
    }

    /// Pumps until `f` says done (`Some`), looking at the view after every
    /// input and at every event; `what` names the wait in the timeout error.
    pub async fn wait_for<T>(
        &mut self,
        within: Duration,
        what: &str,
        mut f: impl FnMut(&View, Option<&UiEvent>) -> Option<Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let until = Instant::now() + within;
        loop {
            while let Some(ev) = self.event() {
                if let Some(r) = f(self.core.view(), Some(&ev)) {
                    return r;
                }
            }
            if let Some(r) = f(self.core.view(), None) {
                return r;
            }
            if !self.pump(until).await? {
                return Err(Failure::new(
                    Code::Error,
                    format!("gave up waiting for {what} after {} s", within.as_secs()),
                ));
            }
        }
    }
}

async fn sleep_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl susurro_front::Ui for Front {
    type Error = Failure;

    fn act(&mut self, a: Action<'_>) -> Result<(), Failure> {
        Front::act(self, a)
    }

    fn view(&self) -> &View {
        Front::view(self)
    }

    fn take_file(
        &mut self,
    ) -> Option<(
        susurro_wire::CallId,
        susurro_wire::Bytes<{ susurro_wire::caps::FILE_BODY }>,
    )> {
        self.core.take_file()
    }
}
