//! Small newtypes for identifiers and units, so that a node index cannot be
//! passed where an edge index is expected.

use std::fmt;

/// Index of a node of the frozen walking graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// Index of an (undirected) edge of the frozen walking graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeId(pub u32);

/// Index of a service category in the taxonomy (0..4 with the default table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CategoryId(pub u8);

impl NodeId {
    /// The index as `usize`, for slicing.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl EdgeId {
    /// The index as `usize`, for slicing.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl CategoryId {
    /// The index as `usize`, for slicing.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// The kind of OpenStreetMap element a feature comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OsmType {
    /// An OSM node.
    Node,
    /// An OSM way.
    Way,
    /// An OSM relation.
    Relation,
    /// A feature that does not come from OSM (derived or user-supplied).
    Other,
}

/// A reference to an OSM element, printed as `node/123`, `way/45`, `relation/6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OsmRef {
    /// Element type.
    pub kind: OsmType,
    /// Element id.
    pub id: i64,
}

impl fmt::Display for OsmRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = match self.kind {
            OsmType::Node => "node",
            OsmType::Way => "way",
            OsmType::Relation => "relation",
            OsmType::Other => "other",
        };
        write!(f, "{t}/{}", self.id)
    }
}

/// A travel time in whole milliseconds: exact integer arithmetic in the kernels.
///
/// `u32` milliseconds reach 49 days, far beyond any walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeMs(pub u32);

impl TimeMs {
    /// "Unreached": larger than every real time.
    pub const INF: TimeMs = TimeMs(u32::MAX);

    /// From seconds, rounded to the nearest millisecond (saturating).
    pub fn from_secs_f64(time_s: f64) -> TimeMs {
        let ms = (time_s * 1000.0).round();
        if ms.is_nan() || ms <= 0.0 {
            TimeMs(0)
        } else if ms >= (u32::MAX - 1) as f64 {
            TimeMs(u32::MAX - 1)
        } else {
            TimeMs(ms as u32)
        }
    }

    /// Time in minutes.
    pub fn minutes(self) -> f64 {
        self.0 as f64 / 60_000.0
    }

    /// Saturating addition that keeps [`TimeMs::INF`] infinite.
    #[inline]
    pub fn saturating_add(self, other: TimeMs) -> TimeMs {
        TimeMs(self.0.saturating_add(other.0))
    }
}
