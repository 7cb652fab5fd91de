//! Assembling closed rings from the member ways of a multipolygon relation.
//!
//! Ways are joined end to end (reversing where needed) until each ring
//! closes. `O(total member nodes)` with a hash map from end nodes to ways.

use std::collections::HashMap;

use geo::{Contains, Coord, InteriorPoint, LineString, MultiPolygon, Point, Polygon};

/// Joins node-id sequences into closed rings.
///
/// Returns the closed rings and the number of ways that could not be closed
/// into a ring (a boundary with missing members leaves such pieces).
///
/// ```
/// use lifecircle::osm::multipolygon::assemble_rings;
/// let ways = vec![vec![1, 2, 3], vec![3, 4, 1], vec![7, 8]];
/// let (rings, open) = assemble_rings(&ways);
/// assert_eq!(rings, vec![vec![1, 2, 3, 4, 1]]);
/// assert_eq!(open, 1);
/// ```
pub fn assemble_rings(ways: &[Vec<i64>]) -> (Vec<Vec<i64>>, usize) {
    let mut used = vec![false; ways.len()];
    let mut by_end: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, w) in ways.iter().enumerate() {
        if w.len() < 2 {
            used[i] = true;
            continue;
        }
        by_end.entry(w[0]).or_default().push(i);
        by_end.entry(w[w.len() - 1]).or_default().push(i);
    }
    let mut rings = Vec::new();
    let mut open = 0;
    for start in 0..ways.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut ring = ways[start].clone();
        let mut pieces = 1;
        while ring.first() != ring.last() {
            let end = *ring.last().expect("ring is not empty");
            let next = by_end.get(&end).and_then(|c| c.iter().copied().find(|&j| !used[j]));
            let Some(j) = next else { break };
            used[j] = true;
            pieces += 1;
            let w = &ways[j];
            if w[0] == end {
                ring.extend_from_slice(&w[1..]);
            } else {
                ring.extend(w.iter().rev().skip(1));
            }
        }
        if ring.len() >= 4 && ring.first() == ring.last() {
            rings.push(ring);
        } else {
            open += pieces;
        }
    }
    (rings, open)
}

/// Builds a multipolygon from outer and inner rings of coordinates: each inner
/// ring becomes a hole of the first outer ring that contains it.
///
/// Containment is tested with a point strictly inside the inner ring against
/// the outer ring alone, so holes that touch each other or the outer ring
/// (common in landuse relations) are all kept. `O(outers × inners × ring size)`.
pub fn rings_to_multipolygon(outers: Vec<Vec<[f64; 2]>>, inners: Vec<Vec<[f64; 2]>>) -> MultiPolygon<f64> {
    let to_ls = |r: Vec<[f64; 2]>| LineString::from(r.into_iter().map(|[x, y]| Coord { x, y }).collect::<Vec<_>>());
    let shells: Vec<Polygon<f64>> = outers.into_iter().map(|r| Polygon::new(to_ls(r), vec![])).collect();
    let mut holes: Vec<Vec<LineString<f64>>> = vec![Vec::new(); shells.len()];
    for inner in inners {
        let ring = to_ls(inner);
        let inside: Option<Point<f64>> = Polygon::new(ring.clone(), vec![]).interior_point();
        let Some(p) = inside.or_else(|| ring.0.first().map(|c| Point::from(*c))) else { continue };
        if let Some(i) = shells.iter().position(|shell| shell.contains(&p)) {
            holes[i].push(ring);
        }
    }
    MultiPolygon::new(
        shells.into_iter().zip(holes).map(|(shell, holes)| Polygon::new(shell.exterior().clone(), holes)).collect(),
    )
}

/// What was missing when a relation's area was assembled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelationGaps {
    /// Member ways not in the extract.
    pub missing_members: usize,
    /// Outer member ways that did not close into a ring.
    pub open_outer_ways: usize,
}

/// The area of a multipolygon or boundary relation from its outer and inner
/// member ways (`None` without a closed outer ring), and what was missing.
pub fn relation_area(data: &super::OsmData, outer: &[i64], inner: &[i64]) -> (Option<MultiPolygon<f64>>, RelationGaps) {
    let mut gaps = RelationGaps::default();
    let mut members = |ids: &[i64]| -> Vec<Vec<i64>> {
        ids.iter()
            .filter_map(|&w| {
                let idx = data.way_index(w);
                gaps.missing_members += idx.is_none() as usize;
                idx.map(|i| data.way_nodes(i).to_vec())
            })
            .collect()
    };
    let (outer_ways, inner_ways) = (members(outer), members(inner));
    let (outer_rings, open) = assemble_rings(&outer_ways);
    gaps.open_outer_ways = open;
    let (inner_rings, _) = assemble_rings(&inner_ways);
    let coords = |rings: Vec<Vec<i64>>| -> Vec<Vec<[f64; 2]>> {
        rings
            .into_iter()
            .map(|r| r.iter().filter_map(|&n| data.node_lonlat(n)).collect::<Vec<_>>())
            .filter(|r| r.len() >= 4 && r.first() == r.last())
            .collect()
    };
    let outers = coords(outer_rings);
    if outers.is_empty() {
        return (None, gaps);
    }
    (Some(rings_to_multipolygon(outers, coords(inner_rings))), gaps)
}
