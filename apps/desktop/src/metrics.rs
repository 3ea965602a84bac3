//! The window's own figures, for `--stats` and `docs/performance.md`: how
//! long start-up took, how long each frame took to build (all frames, and
//! those during a call), and the process's memory as Linux's `/proc`
//! reports it.

use serde::Serialize;

/// Frames kept per list: enough for minutes of drawing, bounded.
const MAX_FRAMES: usize = 10_000;

/// Timing of the window (for `--stats` and the performance page).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// From app start to the first frame, ms.
    pub first_frame_ms: Option<f64>,
    /// From app start to the first frame that shows a usable screen (the
    /// key store answered), ms.
    pub usable_ms: Option<f64>,
    /// Time spent building each frame's ui, µs (the first 10 000).
    pub frame_us: Vec<u32>,
    /// Frames built while a call was talking, µs (the first 10 000).
    pub call_frame_us: Vec<u32>,
}

impl Stats {
    /// Counts one frame: `at_ms` after app start, `us` to build, whether
    /// the screen was usable (the key store answered, or the start failed)
    /// and whether a call was talking.
    pub fn frame(&mut self, at_ms: f64, us: u32, usable: bool, talking: bool) {
        self.first_frame_ms.get_or_insert(at_ms);
        if usable {
            self.usable_ms.get_or_insert(at_ms);
        }
        if self.frame_us.len() < MAX_FRAMES {
            self.frame_us.push(us);
        }
        if talking && self.call_frame_us.len() < MAX_FRAMES {
            self.call_frame_us.push(us);
        }
    }
}

/// What `--stats` writes.
#[derive(Serialize)]
struct Figures {
    /// [`Stats::first_frame_ms`], to 0.1 ms.
    first_frame_ms: Option<f64>,
    /// [`Stats::usable_ms`], to 0.1 ms.
    usable_ms: Option<f64>,
    /// All frames.
    frame: Option<Percentiles>,
    /// Frames during a call.
    call_frame: Option<Percentiles>,
    /// Resident memory at exit, KiB.
    rss_kib: u64,
    /// Peak resident memory, KiB.
    rss_peak_kib: u64,
}

/// Frame times, ms (`None`: no frame).
#[derive(Serialize)]
struct Percentiles {
    frames: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Percentiles {
    fn of(us: &[u32]) -> Option<Self> {
        let mut v = us.to_vec();
        v.sort_unstable();
        let last = v.len().checked_sub(1)?;
        let at = |p: f64| {
            let i = (last as f64 * p).round() as usize;
            f64::from(v[i.min(last)]) / 1e3
        };
        Some(Self {
            frames: v.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        })
    }
}

/// The figures as JSON: start-up times, frame-time percentiles (all frames
/// and frames during a call) and the process's memory now and at peak.
pub fn stats_json(s: &Stats) -> String {
    let tenth = |x: Option<f64>| x.map(|v| (v * 10.0).round() / 10.0);
    let (rss_kib, rss_peak_kib) = rss_kib();
    let figures = Figures {
        first_frame_ms: tenth(s.first_frame_ms),
        usable_ms: tenth(s.usable_ms),
        frame: Percentiles::of(&s.frame_us),
        call_frame: Percentiles::of(&s.call_frame_us),
        rss_kib,
        rss_peak_kib,
    };
    // Numbers, options and plain keys: serializing cannot fail.
    let mut json = serde_json::to_string_pretty(&figures).unwrap_or_default();
    json.push('\n');
    json
}

/// This process's resident memory now and at its peak, KiB (Linux; 0 where
/// `/proc/self/status` cannot be read).
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    proc_status_kib(&status)
}

/// `VmRSS` and `VmHWM` from the text of a `/proc/<pid>/status` file, KiB
/// (0 for a line that is missing or not a number).
fn proc_status_kib(status: &str) -> (u64, u64) {
    let get = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (get("VmRSS:"), get("VmHWM:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_status() {
        let status = "Name:\tsusurro\nVmHWM:\t  81234 kB\nVmRSS:\t   70000 kB\nThreads:\t9\n";
        assert_eq!(proc_status_kib(status), (70_000, 81_234));
        assert_eq!(proc_status_kib("VmRSS: many kB\n"), (0, 0));
    }

    #[test]
    fn json_figures() {
        let mut s = Stats::default();
        let empty: serde_json::Value = serde_json::from_str(&stats_json(&s)).unwrap();
        assert!(empty["first_frame_ms"].is_null() && empty["frame"].is_null());
        s.frame(12.34, 1500, false, false);
        s.frame(20.0, 2500, true, true);
        let json = stats_json(&s);
        assert!(json.contains("\"first_frame_ms\": 12.3"), "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["usable_ms"], 20.0);
        assert_eq!(v["frame"]["frames"], 2);
        assert_eq!(v["frame"]["max_ms"], 2.5);
        assert_eq!(v["call_frame"]["p50_ms"], 2.5);
        assert!(v["rss_kib"].is_u64());
    }
}
