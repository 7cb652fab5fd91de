//! Search kernels over the frozen [`WalkGraph`](crate::graph::WalkGraph).
//!
//! Kernels are infallible: inputs were validated when the graph was built.
//! [`dijkstra`](mod@dijkstra) holds the bounded / multi-source search and its reusable
//! workspace; [`workspace_pool`] gives each rayon thread its own workspace
//! for batched searches; [`anchor`] turns snaps into exact integer costs.

pub mod anchor;
pub mod dijkstra;
pub mod workspace_pool;

pub use anchor::Anchor;
pub use dijkstra::{DijkstraWorkspace, dijkstra};
pub use workspace_pool::WorkspacePool;
