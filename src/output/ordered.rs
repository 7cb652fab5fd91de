//! An ordered pipeline: pieces made in parallel, handed on one at a time in
//! their order, the hand-on overlapping the making of the next ones.
//!
//! The calling thread hands the pieces on (to a file: the kernel's copy into
//! the page cache is a good part of a text layer's cost) while the pool's
//! threads make the next ones; when the calling thread is one of the pool's
//! and the piece it needs is not made yet, it makes pieces itself (rayon's
//! `yield_now`), so no core idles on a slow piece or a slow write. Only a
//! window of pieces is ever held: a window's worth is started at once, then
//! one more each time one is handed on.
//!
//! Each piece is made once, by `make`, whatever the thread count; so what is
//! handed on, and in which order, does not depend on the threads.
//!
//! Complexity: `O(n)` pieces made and handed on, at most `window` of them
//! made and not yet handed on at any time.
//!
//! ```
//! use lifecircle::output::ordered::for_each_ordered;
//! let mut seen = Vec::new();
//! for_each_ordered(10, 3, |i| i * i, |sq| {
//!     seen.push(sq);
//!     Ok(())
//! })
//! .unwrap();
//! assert_eq!(seen, (0..10).map(|i| i * i).collect::<Vec<_>>());
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::error::Result;

/// The pieces made and not yet handed on (the panic of a making that raised one).
type Made<T> = Vec<Option<std::thread::Result<T>>>;

/// Makes pieces `0..n` with `make` in parallel and hands each to `hand_on` in
/// order, on the calling thread, as soon as it and those before it are made;
/// at most `window` (at least 1, at most `n`) are made beyond the one being
/// handed on.
///
/// Stops at the first error of `hand_on` (the pieces already started are
/// made, not handed on) and returns it; a panic in `make` is raised again
/// here.
pub fn for_each_ordered<T: Send>(
    n: usize,
    window: usize,
    make: impl Fn(usize) -> T + Sync,
    mut hand_on: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let window = window.clamp(1, n.max(1));
    let made: Mutex<Made<T>> = Mutex::new((0..n).map(|_| None).collect());
    let ready = Condvar::new();
    let lock = || made.lock().unwrap_or_else(|e| e.into_inner());
    // A thread of the pool helps make pieces while it waits; any other
    // thread (the command's main thread) just waits.
    let in_pool = rayon::current_thread_index().is_some();
    rayon::in_place_scope_fifo(|scope| {
        let (made, ready, make) = (&made, &ready, &make);
        let start = |i: usize| {
            scope.spawn_fifo(move |_| {
                let piece = catch_unwind(AssertUnwindSafe(|| make(i)));
                made.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(piece);
                ready.notify_all();
            });
        };
        (0..window.min(n)).for_each(start);
        for i in 0..n {
            let piece = loop {
                let mut pieces = lock();
                if let Some(piece) = pieces[i].take() {
                    break piece;
                }
                if in_pool {
                    drop(pieces);
                    // Piece `i` first: the oldest started.
                    if matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                        continue;
                    }
                    pieces = lock();
                    if pieces[i].is_none() {
                        // Nothing to help with: wait for the piece, looking
                        // again now and then for pieces to help with.
                        drop(ready.wait_timeout(pieces, Duration::from_micros(200)));
                    }
                } else {
                    drop(ready.wait_while(pieces, |p| p[i].is_none()));
                }
            };
            let piece = piece.unwrap_or_else(|panic| resume_unwind(panic));
            if i + window < n {
                start(i + window);
            }
            hand_on(piece)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool")
    }

    /// Pieces that take uneven times come out in order, each made once, on
    /// one thread or several, and never more than the window ahead.
    #[test]
    fn pieces_are_handed_on_in_order_within_the_window() {
        for threads in [1, 2, 4] {
            for window in [1, 2, 5] {
                let made = AtomicUsize::new(0);
                let handed = AtomicUsize::new(0);
                let mut out = Vec::new();
                pool(threads)
                    .install(|| {
                        for_each_ordered(
                            40,
                            window,
                            |i| {
                                // Later pieces are quicker: they would overtake.
                                std::thread::sleep(std::time::Duration::from_micros(((40 - i) * 20) as u64));
                                let ahead = made.fetch_add(1, Ordering::SeqCst) + 1 - handed.load(Ordering::SeqCst);
                                (i, ahead)
                            },
                            |(i, ahead)| {
                                out.push(i);
                                // The piece in hand, and at most `window` after it.
                                assert!(ahead <= window + 1, "piece {i}: {ahead} made, not handed on, window {window}");
                                handed.fetch_add(1, Ordering::SeqCst);
                                Ok(())
                            },
                        )
                    })
                    .expect("no error");
                assert_eq!(out, (0..40).collect::<Vec<_>>(), "{threads} threads, window {window}");
                assert_eq!(made.load(Ordering::SeqCst), 40);
            }
        }
    }

    /// From a thread outside any pool (a command's main thread), the pieces
    /// are made on the global pool while it waits.
    #[test]
    fn a_thread_outside_the_pool_waits_for_the_pieces() {
        let mut out = Vec::new();
        for_each_ordered(
            50,
            3,
            |i| i + 1,
            |v| {
                out.push(v);
                Ok(())
            },
        )
        .expect("no error");
        assert_eq!(out, (1..=50).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_error_stops_the_hand_on() {
        let mut out = Vec::new();
        let made = AtomicUsize::new(0);
        let r = pool(2).install(|| {
            for_each_ordered(
                100,
                4,
                |i| {
                    made.fetch_add(1, Ordering::SeqCst);
                    i
                },
                |i| {
                    if i == 7 {
                        return Err(Error::parameter("test", "stop at 7"));
                    }
                    out.push(i);
                    Ok(())
                },
            )
        });
        assert!(r.is_err());
        assert_eq!(out, (0..7).collect::<Vec<_>>());
        assert!(made.load(Ordering::SeqCst) <= 12, "made {} after stopping", made.load(Ordering::SeqCst));
    }

    #[test]
    fn a_panic_in_making_a_piece_is_raised_again() {
        let r = std::panic::catch_unwind(|| {
            pool(2).install(|| {
                for_each_ordered(
                    10,
                    3,
                    |i| {
                        assert!(i != 5, "piece five");
                        i
                    },
                    |_| Ok(()),
                )
            })
        });
        assert!(r.is_err());
    }

    #[test]
    fn nothing_to_make_hands_on_nothing() {
        let mut called = false;
        for_each_ordered(
            0,
            3,
            |i| i,
            |_| {
                called = true;
                Ok(())
            },
        )
        .expect("no error");
        assert!(!called);
    }
}
