//! Choosing the fastest circuits (sans-IO): the end that dials candidate
//! paths measures every path it dialled with in-band pings, keeps the
//! fastest [`Policy::keep`], asks for the others to be closed, and during
//! the call dials a replacement for a kept path that degrades, within a
//! budget. The rule is in `docs/protocol.md`, "Choosing the fastest
//! circuits"; every number, with its reason, in [`tunables`].
//!
//! The caller feeds it what happens ([`Selector::ping`], [`Selector::pong`],
//! [`Selector::opened`], [`Selector::dial_failed`], [`Selector::lost`]) and
//! asks it what to do ([`Selector::poll`]). Time is a [`Duration`] since
//! any fixed origin (the call's start).

pub mod tunables;

use core::time::Duration;
use std::collections::VecDeque;

/// A path's id, as its owner numbers them.
pub type PathId = u32;

/// Pings remembered per path while unanswered; an older one is dropped
/// (and counted as a stall).
pub const MAX_OUTSTANDING: usize = 16;

/// The selection's parameters (defaults: [`tunables`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Extra paths dialled at set-up; 0 turns selection off.
    pub candidates: u32,
    /// Paths kept.
    pub keep: usize,
    /// Round trips measured before a candidate is judged.
    pub probe_samples: usize,
    /// Ping period of a path being measured.
    pub probe_interval: Duration,
    /// Longest a set-up batch or a candidate is measured.
    pub probe_timeout: Duration,
    /// Round trips the score's median covers.
    pub window: usize,
    /// A ping unanswered this long is a stall.
    pub stall_after: Duration,
    /// Pings the stall count covers.
    pub stall_window: usize,
    /// Stalls in the window that make a kept path degraded.
    pub stall_limit: usize,
    /// Score over baseline, per mille, that makes a kept path degraded...
    pub degrade_permille: u32,
    /// ...if also at least this much over it.
    pub degrade_min: Duration,
    /// How long a kept path stays degraded before a candidate is dialled.
    pub degrade_hold: Duration,
    /// A candidate must score at most this fraction (per mille) of the
    /// worst kept path to replace it...
    pub switch_permille: u32,
    /// ...and at least this much less.
    pub switch_min: Duration,
    /// Paths dialled per call, set-up included.
    pub budget: u32,
    /// Pause after a re-evaluation dial or a failed dial.
    pub redial_pause: Duration,
    /// Also select over direct TCP (default: only onion paths; TCP paths
    /// to one host share their route).
    pub tcp: bool,
}

impl Default for Policy {
    fn default() -> Self {
        use tunables::*;
        Self {
            candidates: CANDIDATES,
            keep: KEEP,
            probe_samples: PROBE_SAMPLES,
            probe_interval: PROBE_INTERVAL,
            probe_timeout: PROBE_TIMEOUT,
            window: WINDOW,
            stall_after: STALL_AFTER,
            stall_window: STALL_WINDOW,
            stall_limit: STALL_LIMIT,
            degrade_permille: DEGRADE_PERMILLE,
            degrade_min: DEGRADE_MIN,
            degrade_hold: DEGRADE_HOLD,
            switch_permille: SWITCH_PERMILLE,
            switch_min: SWITCH_MIN,
            budget: DIAL_BUDGET,
            redial_pause: REDIAL_PAUSE,
            tcp: false,
        }
    }
}

impl Policy {
    /// No selection: the call keeps the paths it has.
    #[must_use]
    pub fn off() -> Self {
        Self {
            candidates: 0,
            ..Self::default()
        }
    }

    /// Whether selection runs.
    #[must_use]
    pub const fn enabled(&self) -> bool {
        self.candidates > 0 && self.keep > 0 && self.budget > 0
    }
}

/// Why a path is to be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CloseReason {
    /// Not among the fastest at the set-up decision.
    Slower,
    /// A candidate that did not beat the worst kept path by the margin.
    NotBetter,
    /// A kept path replaced by a faster candidate.
    Replaced,
    /// No answer within the probe timeout.
    Silent,
}

/// What [`Selector::poll`] asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// New paths to dial.
    pub dial: u32,
    /// Paths to close (retire), with the reason.
    pub close: Vec<(PathId, CloseReason)>,
    /// Paths that became kept.
    pub kept: Vec<PathId>,
    /// The numbers of the paths to close, as they were (for reports).
    pub measures: Vec<(PathId, Measure)>,
}

impl Decision {
    /// Nothing to do.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.dial == 0 && self.close.is_empty() && self.kept.is_empty()
    }
}

/// One path's measurements.
#[derive(Clone, Debug)]
struct Track {
    id: PathId,
    /// `None`: a candidate; `Some(baseline)`: kept, with its score when
    /// kept (the reference for degradation).
    kept: Option<Option<Duration>>,
    opened: Duration,
    samples: VecDeque<Duration>,
    /// Unanswered pings: send time, already counted as a stall.
    outstanding: VecDeque<(Duration, bool)>,
    /// Last pings' outcomes: stalled or not.
    history: VecDeque<bool>,
    degraded_since: Option<Duration>,
}

impl Track {
    fn new(id: PathId, now: Duration, kept: bool) -> Self {
        Self {
            id,
            kept: kept.then_some(None),
            opened: now,
            samples: VecDeque::new(),
            outstanding: VecDeque::new(),
            history: VecDeque::new(),
            degraded_since: None,
        }
    }

    fn stalls(&self) -> usize {
        self.history.iter().filter(|s| **s).count()
    }

    fn push_history(&mut self, stalled: bool, window: usize) {
        self.history.push_back(stalled);
        while self.history.len() > window.max(1) {
            self.history.pop_front();
        }
    }

    /// The median of the samples (upper median), `None` before the first.
    fn median(&self) -> Option<Duration> {
        let mut v: Vec<Duration> = self.samples.iter().copied().collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    }
}

/// A path's numbers, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measure {
    /// Median round trip over the window.
    pub median: Option<Duration>,
    /// The score: the median plus [`Policy::stall_after`] per stall.
    pub score: Option<Duration>,
    /// Round trips measured (all time, capped at the window).
    pub samples: usize,
    /// Stalls among the last pings.
    pub stalls: usize,
    /// Kept (else a candidate).
    pub kept: bool,
}

/// The selection of one call's paths (those this end dialled).
#[derive(Clone, Debug)]
pub struct Selector {
    policy: Policy,
    tracks: Vec<Track>,
    dials_left: u32,
    /// Dials in flight.
    dialing: u32,
    started: bool,
    /// The set-up batch's deadline, until it is decided.
    setup_deadline: Option<Duration>,
    /// No re-evaluation dial before this.
    next_dial: Duration,
}

fn scale(d: Duration, permille: u32) -> Duration {
    d.saturating_mul(permille) / 1000
}

impl Selector {
    /// A selector whose call runs on `first` (a path this end dialled).
    #[must_use]
    pub fn new(policy: Policy, first: PathId, now: Duration) -> Self {
        Self {
            policy,
            tracks: vec![Track::new(first, now, true)],
            dials_left: policy.budget,
            dialing: 0,
            started: false,
            setup_deadline: None,
            next_dial: now,
        }
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Dials left in the budget.
    #[must_use]
    pub const fn dials_left(&self) -> u32 {
        self.dials_left
    }

    /// Dials in flight.
    #[must_use]
    pub const fn dialing(&self) -> u32 {
        self.dialing
    }

    /// Whether the set-up batch is still being measured.
    #[must_use]
    pub const fn in_setup(&self) -> bool {
        self.setup_deadline.is_some()
    }

    fn track(&mut self, id: PathId) -> Option<&mut Track> {
        self.tracks.iter_mut().find(|t| t.id == id)
    }

    fn score(&self, t: &Track) -> Option<Duration> {
        let m = t.median()?;
        let stalls = u32::try_from(t.stalls()).unwrap_or(u32::MAX);
        Some(m.saturating_add(self.policy.stall_after.saturating_mul(stalls)))
    }

    /// The numbers of path `id`.
    #[must_use]
    pub fn measure(&self, id: PathId) -> Option<Measure> {
        let t = self.tracks.iter().find(|t| t.id == id)?;
        Some(Measure {
            median: t.median(),
            score: self.score(t),
            samples: t.samples.len(),
            stalls: t.stalls(),
            kept: t.kept.is_some(),
        })
    }

    /// The kept paths, fastest first (unmeasured last).
    #[must_use]
    pub fn kept(&self) -> Vec<PathId> {
        let mut v: Vec<&Track> = self.tracks.iter().filter(|t| t.kept.is_some()).collect();
        v.sort_by_key(|t| (self.score(t).is_none(), self.score(t), t.id));
        v.iter().map(|t| t.id).collect()
    }

    /// The paths still being measured.
    #[must_use]
    pub fn candidates(&self) -> Vec<PathId> {
        self.tracks
            .iter()
            .filter(|t| t.kept.is_none())
            .map(|t| t.id)
            .collect()
    }

    /// Paths to ping every [`Policy::probe_interval`]: those under
    /// measurement with fewer than [`Policy::probe_samples`] round trips
    /// (during the set-up batch every path, the first included).
    #[must_use]
    pub fn probe_targets(&self) -> Vec<PathId> {
        self.tracks
            .iter()
            .filter(|t| self.in_setup() || t.kept.is_none())
            .filter(|t| t.samples.len() < self.policy.probe_samples)
            .map(|t| t.id)
            .collect()
    }

    /// A ping was sent on `id`.
    pub fn ping(&mut self, id: PathId, now: Duration) {
        let window = self.policy.stall_window;
        if let Some(t) = self.track(id) {
            if t.outstanding.len() >= MAX_OUTSTANDING
                && let Some((_, counted)) = t.outstanding.pop_front()
                && !counted
            {
                t.push_history(true, window);
            }
            t.outstanding.push_back((now, false));
        }
    }

    /// The answer to the oldest unanswered ping on `id` arrived (pongs come
    /// in order on a path).
    pub fn pong(&mut self, id: PathId, now: Duration) {
        let (window, stall_window, stall_after) = (
            self.policy.window,
            self.policy.stall_window,
            self.policy.stall_after,
        );
        if let Some(t) = self.track(id)
            && let Some((sent, counted)) = t.outstanding.pop_front()
        {
            let rtt = now.saturating_sub(sent);
            if !counted {
                t.push_history(rtt >= stall_after, stall_window);
            }
            t.samples.push_back(rtt);
            while t.samples.len() > window.max(1) {
                t.samples.pop_front();
            }
        }
    }

    /// A dial this selector asked for came up as path `id`.
    pub fn opened(&mut self, id: PathId, now: Duration) {
        self.dialing = self.dialing.saturating_sub(1);
        if self.tracks.iter().all(|t| t.id != id) {
            self.tracks.push(Track::new(id, now, false));
        }
    }

    /// A dial this selector asked for failed.
    pub fn dial_failed(&mut self, now: Duration) {
        self.dialing = self.dialing.saturating_sub(1);
        if !self.in_setup() {
            self.next_dial = now.saturating_add(self.policy.redial_pause);
        }
    }

    /// Path `id` is gone (died, or closed as asked).
    pub fn lost(&mut self, id: PathId) {
        self.tracks.retain(|t| t.id != id);
    }

    fn dial(&mut self, n: u32, d: &mut Decision) {
        let n = n.min(self.dials_left);
        self.dials_left -= n;
        self.dialing += n;
        d.dial += n;
    }

    fn close(&mut self, id: PathId, why: CloseReason, d: &mut Decision) {
        if let Some(m) = self.measure(id) {
            d.measures.push((id, m));
        }
        self.tracks.retain(|t| t.id != id);
        d.close.push((id, why));
    }

    fn keep(&mut self, id: PathId, d: &mut Decision) {
        let score = self
            .tracks
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| self.score(t));
        if let Some(t) = self.track(id) {
            t.kept = Some(score);
            t.degraded_since = None;
            d.kept.push(id);
        }
    }

    /// What to do now.
    pub fn poll(&mut self, now: Duration) -> Decision {
        let mut d = Decision::default();
        if !self.policy.enabled() {
            return d;
        }
        // Pings unanswered too long are stalls.
        let (stall_after, window) = (self.policy.stall_after, self.policy.stall_window);
        for t in &mut self.tracks {
            let mut new = 0;
            for (sent, counted) in &mut t.outstanding {
                if !*counted && now.saturating_sub(*sent) >= stall_after {
                    *counted = true;
                    new += 1;
                }
            }
            for _ in 0..new {
                t.push_history(true, window);
            }
        }
        if !self.started {
            self.started = true;
            self.setup_deadline = Some(now.saturating_add(self.policy.probe_timeout));
            self.dial(self.policy.candidates, &mut d);
            return d;
        }
        if let Some(deadline) = self.setup_deadline {
            let measured = self
                .tracks
                .iter()
                .all(|t| t.samples.len() >= self.policy.probe_samples);
            if (self.dialing == 0 && measured) || now >= deadline {
                self.setup_deadline = None;
                self.decide_setup(&mut d);
                self.next_dial = now;
            }
            return d;
        }
        self.judge_candidates(now, &mut d);
        self.judge_kept(now, &mut d);
        d
    }

    /// The set-up batch: keep the fastest `keep` (no margin), close the
    /// rest; a path that never answered is closed even if a slot is free,
    /// unless it is the only path.
    fn decide_setup(&mut self, d: &mut Decision) {
        let mut order: Vec<(Option<Duration>, PathId)> =
            self.tracks.iter().map(|t| (self.score(t), t.id)).collect();
        order.sort_by_key(|(s, id)| (s.is_none(), *s, *id));
        let answered = order.iter().filter(|(s, _)| s.is_some()).count();
        for (i, (score, id)) in order.into_iter().enumerate() {
            if score.is_none() && answered > 0 {
                self.close(id, CloseReason::Silent, d);
            } else if i < self.policy.keep {
                self.keep(id, d);
            } else {
                self.close(id, CloseReason::Slower, d);
            }
        }
    }

    /// Candidates opened after set-up: judged once measured (or timed
    /// out) against the worst kept path, with the switching margin.
    fn judge_candidates(&mut self, now: Duration, d: &mut Decision) {
        let ready: Vec<PathId> = self
            .tracks
            .iter()
            .filter(|t| t.kept.is_none())
            .filter(|t| {
                t.samples.len() >= self.policy.probe_samples
                    || now.saturating_sub(t.opened) >= self.policy.probe_timeout
            })
            .map(|t| t.id)
            .collect();
        for id in ready {
            let Some(c) = self.tracks.iter().find(|t| t.id == id) else {
                continue;
            };
            let Some(cs) = self.score(c) else {
                self.close(id, CloseReason::Silent, d);
                continue;
            };
            let kept = self.kept();
            if kept.len() < self.policy.keep {
                self.keep(id, d);
                continue;
            }
            // The worst kept path (unmeasured counts as worst).
            let Some(&worst) = kept.last() else {
                continue;
            };
            let ws = self
                .tracks
                .iter()
                .find(|t| t.id == worst)
                .and_then(|t| self.score(t));
            let better = ws.is_none_or(|ws| {
                let margin = self
                    .policy
                    .switch_min
                    .max(ws.saturating_sub(scale(ws, self.policy.switch_permille)));
                cs.saturating_add(margin) <= ws
            });
            if better {
                self.close(worst, CloseReason::Replaced, d);
                self.keep(id, d);
            } else {
                self.close(id, CloseReason::NotBetter, d);
                // The kept paths are as good as this network offers now:
                // their present scores become the reference, so the same
                // degradation does not dial again.
                let scores: Vec<(PathId, Option<Duration>)> = self
                    .tracks
                    .iter()
                    .filter(|t| t.kept.is_some())
                    .map(|t| (t.id, self.score(t)))
                    .collect();
                for (kid, s) in scores {
                    if let Some(t) = self.track(kid) {
                        t.kept = Some(s);
                        t.degraded_since = None;
                    }
                }
            }
        }
    }

    /// Kept paths: degradation timers; dial a candidate when one stayed
    /// degraded for the hold time or a slot is empty.
    fn judge_kept(&mut self, now: Duration, d: &mut Decision) {
        let p = self.policy;
        let mut held = false;
        let states: Vec<(PathId, bool)> = self
            .tracks
            .iter()
            .filter_map(|t| {
                let baseline = t.kept?;
                let score = self.score(t);
                let slower = match (baseline, score) {
                    (Some(b), Some(s)) => {
                        s > scale(b, p.degrade_permille) && s > b.saturating_add(p.degrade_min)
                    }
                    _ => false,
                };
                Some((t.id, slower || t.stalls() >= p.stall_limit))
            })
            .collect();
        for (id, degraded) in states {
            if let Some(t) = self.track(id) {
                if !degraded {
                    t.degraded_since = None;
                } else {
                    let since = *t.degraded_since.get_or_insert(now);
                    held |= now.saturating_sub(since) >= p.degrade_hold;
                }
            }
        }
        let kept = self.tracks.iter().filter(|t| t.kept.is_some()).count();
        let probing = self.tracks.iter().any(|t| t.kept.is_none());
        if self.dialing == 0
            && !probing
            && self.dials_left > 0
            && now >= self.next_dial
            && (held || kept < p.keep)
        {
            self.dial(1, d);
            if held {
                self.next_dial = now.saturating_add(p.redial_pause);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// `n` round trips of `rtt` on `id`, one every 200 ms from `*t`.
    fn measure(s: &mut Selector, id: PathId, rtt: Duration, n: usize, t: &mut Duration) {
        for _ in 0..n {
            s.ping(id, *t);
            s.pong(id, *t + rtt);
            *t += ms(200);
        }
    }

    /// Set-up with path 0 and candidates 1..=3 of the given round trips.
    fn setup(rtts: [u64; 4]) -> (Selector, Duration, Decision) {
        let mut s = Selector::new(Policy::default(), 0, ms(0));
        let d = s.poll(ms(0));
        assert_eq!(d.dial, 3);
        let mut t = ms(1000);
        for id in 1..=3 {
            s.opened(id, t);
        }
        assert!(s.poll(t).is_empty(), "nothing decided before measuring");
        for (id, rtt) in rtts.iter().enumerate() {
            measure(&mut s, id as u32, ms(*rtt), 5, &mut t);
        }
        let d = s.poll(t);
        (s, t, d)
    }

    #[test]
    fn the_fastest_two_are_kept_and_the_others_closed() {
        let (s, _, d) = setup([400, 250, 900, 300]);
        assert_eq!(s.kept(), [1, 3]);
        let mut kept = d.kept.clone();
        kept.sort_unstable();
        assert_eq!(kept, [1, 3]);
        let mut closed = d.close.clone();
        closed.sort_unstable();
        assert_eq!(closed, [(0, CloseReason::Slower), (2, CloseReason::Slower)]);
        assert_eq!(s.dials_left(), tunables::DIAL_BUDGET - 3);
    }

    #[test]
    fn the_median_ignores_outliers() {
        let mut s = Selector::new(Policy::default(), 0, ms(0));
        s.poll(ms(0));
        s.opened(1, ms(0));
        s.dial_failed(ms(0));
        s.dial_failed(ms(0));
        let mut t = ms(0);
        // Path 0: 200 ms with two huge outliers; path 1: steady 300 ms.
        for (i, r) in [200, 1500, 200, 1500, 200].into_iter().enumerate() {
            s.ping(0, t);
            s.pong(0, t + ms(r));
            t += ms(200 + i as u64);
        }
        measure(&mut s, 1, ms(300), 5, &mut t);
        let d = s.poll(t);
        assert_eq!(s.kept(), [0, 1]);
        assert!(d.close.is_empty());
        assert_eq!(s.measure(0).unwrap().median, Some(ms(200)));
    }

    #[test]
    fn a_candidate_that_never_answers_is_dropped() {
        let mut s = Selector::new(Policy::default(), 0, ms(0));
        assert_eq!(s.poll(ms(0)).dial, 3);
        let mut t = ms(500);
        for id in 1..=3 {
            s.opened(id, t);
        }
        // Path 3 is up but silent; the others answer.
        for id in 0..3 {
            measure(&mut s, id, ms(100 + 50 * u64::from(id)), 5, &mut t);
        }
        s.ping(3, t);
        assert!(s.poll(t).is_empty(), "waits for path 3");
        // At the probe timeout the silent one is closed, the fastest two kept.
        let d = s.poll(ms(20_000));
        assert_eq!(s.kept(), [0, 1]);
        assert!(d.close.contains(&(3, CloseReason::Silent)), "{d:?}");
        assert!(d.close.contains(&(2, CloseReason::Slower)), "{d:?}");
        // Even with a free slot a silent one is not kept.
        let mut s = Selector::new(Policy::default(), 0, ms(0));
        s.poll(ms(0));
        s.opened(1, ms(0));
        s.dial_failed(ms(0));
        s.dial_failed(ms(0));
        let mut t = ms(0);
        measure(&mut s, 0, ms(100), 5, &mut t);
        let d = s.poll(ms(20_000));
        assert_eq!(d.close, [(1, CloseReason::Silent)]);
        assert_eq!(s.kept(), [0]);
        // A later candidate silent past the timeout is closed too.
        let d = s.poll(ms(20_001));
        assert_eq!(d.dial, 1, "a slot is free: dial");
        s.opened(7, ms(21_000));
        assert!(s.poll(ms(30_000)).is_empty());
        let d = s.poll(ms(41_000));
        assert_eq!(d.close, [(7, CloseReason::Silent)]);
    }

    #[test]
    fn a_degraded_path_is_replaced() {
        let (mut s, mut t, _) = setup([400, 250, 900, 300]);
        assert_eq!(s.kept(), [1, 3]);
        // Path 3 slows down to 700 ms (baseline 300: degraded) and stays so.
        let mut dialled = None;
        for _ in 0..20 {
            measure(&mut s, 1, ms(250), 1, &mut t);
            measure(&mut s, 3, ms(700), 1, &mut t);
            t += ms(800);
            let d = s.poll(t);
            if d.dial > 0 {
                dialled = Some(t);
                break;
            }
        }
        let at = dialled.expect("no replacement dialled");
        assert!(at >= ms(5_000), "degradation held first: {at:?}");
        // The new candidate (path 9) measures 280 ms: it replaces path 3.
        s.opened(9, t);
        measure(&mut s, 9, ms(280), 5, &mut t);
        let d = s.poll(t);
        assert_eq!(d.close, [(3, CloseReason::Replaced)]);
        assert_eq!(d.kept, [9]);
        assert_eq!(s.kept(), [1, 9]);
    }

    #[test]
    fn stalls_degrade_a_path() {
        let (mut s, mut t, _) = setup([400, 250, 900, 300]);
        // Path 1 stops answering: after two stalls and the hold, a dial.
        let mut dialled = false;
        for _ in 0..15 {
            s.ping(1, t);
            measure(&mut s, 3, ms(300), 1, &mut t);
            t += ms(800);
            if s.poll(t).dial > 0 {
                dialled = true;
                break;
            }
        }
        assert!(dialled);
        assert!(s.measure(1).unwrap().stalls >= 2);
    }

    #[test]
    fn no_flapping_between_similar_paths() {
        let (mut s, mut t, _) = setup([400, 250, 900, 300]);
        // A short slow burst on path 3 (3 s, under the hold): no dial.
        for _ in 0..3 {
            measure(&mut s, 3, ms(900), 1, &mut t);
            measure(&mut s, 1, ms(250), 1, &mut t);
            t += ms(600);
            assert_eq!(s.poll(t).dial, 0);
        }
        // Back to normal: its median recovers, nothing happens.
        for _ in 0..10 {
            measure(&mut s, 3, ms(300), 1, &mut t);
            t += ms(800);
            assert!(s.poll(t).is_empty());
        }
        // A lasting slow-down: one dial; the candidate is only a little
        // better (within the margin): it is closed, path 3 stays, and the
        // same slowness does not dial again.
        let mut dials = 0;
        let mut closed = Vec::new();
        for i in 0..120 {
            measure(&mut s, 3, ms(600), 1, &mut t);
            measure(&mut s, 1, ms(250), 1, &mut t);
            t += ms(600);
            let d = s.poll(t);
            dials += d.dial;
            closed.extend(d.close);
            if d.dial > 0 {
                s.opened(100 + i, t);
                measure(&mut s, 100 + i, ms(560), 5, &mut t);
            }
        }
        assert_eq!(dials, 1, "one dial for one degradation");
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].1, CloseReason::NotBetter);
        assert_eq!(s.kept(), [1, 3]);
    }

    #[test]
    fn the_budget_is_respected() {
        let p = Policy {
            redial_pause: ms(0),
            ..Policy::default()
        };
        let mut s = Selector::new(p, 0, ms(0));
        let mut dials = s.poll(ms(0)).dial;
        // Every dial fails: the selector redials for the empty slot until
        // the budget is spent, never beyond.
        let mut t = ms(0);
        for _ in 0..dials {
            s.dial_failed(t);
        }
        measure(&mut s, 0, ms(100), 5, &mut t);
        for _ in 0..100 {
            t += ms(1000);
            let d = s.poll(t);
            dials += d.dial;
            for _ in 0..d.dial {
                s.dial_failed(t);
            }
        }
        assert_eq!(dials, tunables::DIAL_BUDGET);
        assert_eq!(s.dials_left(), 0);
        // The redial pause spaces failed dials out.
        let mut s = Selector::new(Policy::default(), 0, ms(0));
        s.poll(ms(0));
        for _ in 0..3 {
            s.dial_failed(ms(0));
        }
        let mut t = ms(0);
        measure(&mut s, 0, ms(100), 5, &mut t);
        s.poll(t);
        assert_eq!(s.poll(t + ms(1)).dial, 1);
        s.dial_failed(t + ms(2));
        assert_eq!(s.poll(t + ms(10_000)).dial, 0);
        assert_eq!(s.poll(t + ms(20_003)).dial, 1);
    }

    #[test]
    fn a_lost_kept_path_is_replaced_and_off_does_nothing() {
        let (mut s, t, _) = setup([400, 250, 900, 300]);
        s.lost(3);
        assert_eq!(s.poll(t + ms(1)).dial, 1);
        let mut off = Selector::new(Policy::off(), 0, ms(0));
        assert!(off.poll(ms(0)).is_empty());
        assert!(off.poll(ms(60_000)).is_empty());
    }
}
