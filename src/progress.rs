//! Progress on stderr (indicatif), silent when disabled, and visible to a
//! [`Watch`] in the same process (the Python package draws it as tqdm bars).
//!
//! Every indicator a stage makes is announced to the live watches; a watch
//! reads the indicators' state when it likes (from another thread), so the
//! stages never wait for a watcher and know nothing of it. `O(1)` per
//! indicator made, `O(indicators alive)` per [`Watch::current`].

use std::sync::{Arc, Mutex, PoisonError, Weak};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Makes progress indicators for the pipeline's stages.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Progress shown on stderr when `enabled` (and to every [`Watch`] in any case).
    pub fn new(enabled: bool) -> Progress {
        Progress { enabled }
    }

    /// A spinner for a stage of unknown length.
    pub fn stage(&self, message: &str) -> ProgressBar {
        let pb = if self.enabled { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
        if self.enabled {
            pb.set_draw_target(ProgressDrawTarget::stderr());
            pb.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"));
            pb.enable_steady_tick(std::time::Duration::from_millis(100));
        }
        pb.set_message(message.to_string());
        announce(&pb);
        pb
    }

    /// A bar for `len` items of work.
    pub fn bar(&self, message: &str, len: u64) -> ProgressBar {
        let target = if self.enabled { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let pb = ProgressBar::with_draw_target(Some(len), target);
        if self.enabled {
            pb.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
        }
        pb.set_message(message.to_string());
        announce(&pb);
        pb
    }
}

/// The indicators a watch has been told of.
type Seen = Mutex<Vec<ProgressBar>>;

/// The live watches (dead ones are dropped at the next announcement).
static WATCHES: Mutex<Vec<Weak<Seen>>> = Mutex::new(Vec::new());

fn announce(pb: &ProgressBar) {
    let mut watches = WATCHES.lock().unwrap_or_else(PoisonError::into_inner);
    watches.retain(|w| w.strong_count() > 0);
    for seen in watches.iter().filter_map(Weak::upgrade) {
        seen.lock().unwrap_or_else(PoisonError::into_inner).push(pb.clone());
    }
}

/// Sees the progress indicators that any run in this process makes while it
/// lives, whether they are drawn on stderr or hidden.
///
/// ```
/// use lifecircle::progress::{Progress, ProgressState, Watch};
///
/// let progress = Progress::new(false); // hidden from stderr, seen by watches
/// let before = progress.stage("made before the watch");
/// let watch = Watch::start();
/// assert_eq!(watch.current(), None);
/// let stage = progress.stage("reading");
/// let bar = progress.bar("counting", 4);
/// bar.inc(1);
/// let counting = ProgressState { message: "counting".into(), position: 1, length: Some(4) };
/// assert_eq!(watch.current(), Some(counting));
/// bar.finish_and_clear();
/// let reading = ProgressState { message: "reading".into(), position: 0, length: None };
/// assert_eq!(watch.current(), Some(reading));
/// stage.finish_and_clear();
/// assert_eq!(watch.current(), None);
/// # before.finish_and_clear();
/// ```
#[derive(Debug)]
pub struct Watch {
    seen: Arc<Seen>,
}

/// An indicator's state when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressState {
    /// What the stage is doing.
    pub message: String,
    /// Items done.
    pub position: u64,
    /// Items in all (`None` for a stage of unknown length).
    pub length: Option<u64>,
}

impl Watch {
    /// Starts watching: every indicator made from now on is seen.
    pub fn start() -> Watch {
        let seen = Arc::new(Mutex::new(Vec::new()));
        WATCHES.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::downgrade(&seen));
        Watch { seen }
    }

    /// The state of the indicator made last of those not finished, if any.
    pub fn current(&self) -> Option<ProgressState> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.retain(|pb| !pb.is_finished());
        seen.last().map(|pb| ProgressState { message: pb.message(), position: pb.position(), length: pb.length() })
    }
}
