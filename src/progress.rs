//! Progress on stderr (indicatif), silent when disabled.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Makes progress indicators for the pipeline's stages.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Progress shown on stderr when `enabled`.
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
        pb
    }

    /// A bar for `len` items of work.
    pub fn bar(&self, message: &str, len: u64) -> ProgressBar {
        let pb = if self.enabled { ProgressBar::new(len) } else { ProgressBar::hidden() };
        if self.enabled {
            pb.set_draw_target(ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
        }
        pb.set_message(message.to_string());
        pb
    }
}
