//! One search workspace per rayon thread.
//!
//! rayon's `map_init` makes a fresh state per split job, not per thread, so a
//! batch of searches would allocate node-sized arrays many times. The pool
//! holds one lazily created workspace per worker thread, found by
//! `rayon::current_thread_index()`; each is locked only by its own thread, so
//! the lock is never contended.

use std::sync::Mutex;

use super::DijkstraWorkspace;

/// Workspaces for the threads of the current rayon pool.
pub struct WorkspacePool {
    num_nodes: usize,
    slots: Vec<Mutex<Option<DijkstraWorkspace>>>,
}

impl WorkspacePool {
    /// A pool for the current rayon pool, for graphs of `num_nodes` nodes.
    pub fn new(num_nodes: usize) -> WorkspacePool {
        let threads = rayon::current_num_threads().max(1);
        WorkspacePool { num_nodes, slots: (0..threads + 1).map(|_| Mutex::new(None)).collect() }
    }

    /// Runs `f` with the calling thread's workspace (a thread outside the pool uses a shared extra slot).
    pub fn with<R>(&self, f: impl FnOnce(&mut DijkstraWorkspace) -> R) -> R {
        let slot = rayon::current_thread_index().map_or(self.slots.len() - 1, |i| i.min(self.slots.len() - 2));
        let mut guard = self.slots[slot].lock().unwrap_or_else(|p| p.into_inner());
        let ws = guard.get_or_insert_with(|| DijkstraWorkspace::new(self.num_nodes));
        f(ws)
    }

    /// How many workspaces were actually created (for tests and reports).
    pub fn created(&self) -> usize {
        self.slots.iter().filter(|s| s.lock().map(|g| g.is_some()).unwrap_or(false)).count()
    }
}
