//! Assembling closed rings from the member ways of a multipolygon relation.
//!
//! Ways are joined end to end (reversing where needed) until each ring
//! closes. `O(total member nodes)` with a hash map from end nodes to ways.

use std::collections::HashMap;
use std::hash::Hash;

use geo::{BoundingRect, Coord, InteriorPoint, LineString, MultiPolygon, Point, Polygon};

use super::point_in_area::PreparedArea;
use super::read_pbf::MISSING_NODE;

/// Joins node sequences (ids, or anything equal exactly when the node is)
/// into closed rings.
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
pub fn assemble_rings<T: Copy + Eq + Hash>(ways: &[Vec<T>]) -> (Vec<Vec<T>>, usize) {
    let mut used = vec![false; ways.len()];
    let mut by_end: HashMap<T, Vec<usize>> = HashMap::new();
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
/// (common in landuse relations) are all kept. That point (geo's
/// `interior_point`, costly: a sweep over the ring and a `relate`) lies in
/// the inner ring's box, so when no outer ring's edge comes near that box,
/// each outer ring answers for the whole box at once ([`PreparedArea::classify_box`])
/// and the point is not needed. `O(outers × inners × edges near the inner ring)`
/// then, `O(outers × inners × ring size)` at worst.
pub fn rings_to_multipolygon(outers: Vec<Vec<[f64; 2]>>, inners: Vec<Vec<[f64; 2]>>) -> MultiPolygon<f64> {
    let to_ls = |r: Vec<[f64; 2]>| LineString::from(r.into_iter().map(|[x, y]| Coord { x, y }).collect::<Vec<_>>());
    let shells: Vec<Polygon<f64>> = outers.into_iter().map(|r| Polygon::new(to_ls(r), vec![])).collect();
    let prepared: Vec<PreparedArea> =
        if inners.is_empty() { Vec::new() } else { shells.iter().map(PreparedArea::of_polygon).collect() };
    let mut holes: Vec<Vec<LineString<f64>>> = vec![Vec::new(); shells.len()];
    for inner in inners {
        let ring = to_ls(inner);
        let shell = match shell_of_box(&prepared, &ring) {
            Some(shell) => shell,
            None => {
                let inside: Option<Point<f64>> = Polygon::new(ring.clone(), vec![]).interior_point();
                let Some(p) = inside.or_else(|| ring.0.first().map(|c| Point::from(*c))) else { continue };
                (0..shells.len()).find(|&i| prepared[i].contains([p.x(), p.y()]))
            }
        };
        if let Some(i) = shell {
            holes[i].push(ring);
        }
    }
    MultiPolygon::new(
        shells.into_iter().zip(holes).map(|(shell, holes)| Polygon::new(shell.exterior().clone(), holes)).collect(),
    )
}

/// The first of `shells` that contains every point of `ring`'s box (widened
/// by a hair, 1e-9°, for rounding in the interior point), `Some(None)` when
/// none contains any of it, `None` when an outer ring crosses the box
/// before the answer is known (or `ring` is empty).
fn shell_of_box(shells: &[PreparedArea], ring: &LineString<f64>) -> Option<Option<usize>> {
    const HAIR_DEG: f64 = 1e-9;
    let b = ring.bounding_rect()?;
    let (min, max) = ([b.min().x - HAIR_DEG, b.min().y - HAIR_DEG], [b.max().x + HAIR_DEG, b.max().y + HAIR_DEG]);
    for (i, shell) in shells.iter().enumerate() {
        if shell.classify_box(min, max)? {
            return Some(Some(i));
        }
    }
    Some(None)
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
    // Each reference with its node's index (MISSING_NODE when not in the
    // extract): rings are joined by id, positions read by index.
    let mut members = |ids: &[i64]| -> Vec<Vec<(i64, u32)>> {
        ids.iter()
            .filter_map(|&w| {
                let idx = data.way_index(w);
                gaps.missing_members += idx.is_none() as usize;
                idx.map(|i| data.way_nodes(i).iter().copied().zip(data.way_node_indices(i).iter().copied()).collect())
            })
            .collect()
    };
    let (outer_ways, inner_ways) = (members(outer), members(inner));
    let (outer_rings, open) = assemble_rings(&outer_ways);
    gaps.open_outer_ways = open;
    let (inner_rings, _) = assemble_rings(&inner_ways);
    let coords = |rings: Vec<Vec<(i64, u32)>>| -> Vec<Vec<[f64; 2]>> {
        rings
            .into_iter()
            .map(|r| {
                r.iter().filter(|&&(_, n)| n != MISSING_NODE).map(|&(_, n)| data.node_lonlat_at(n)).collect::<Vec<_>>()
            })
            .filter(|r| r.len() >= 4 && r.first() == r.last())
            .collect()
    };
    let outers = coords(outer_rings);
    if outers.is_empty() {
        return (None, gaps);
    }
    (Some(rings_to_multipolygon(outers, coords(inner_rings))), gaps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::SplitMix64;
    use geo::Contains;

    /// The slow obvious reference: every hole's interior point tested against every outer ring.
    fn reference(outers: Vec<Vec<[f64; 2]>>, inners: Vec<Vec<[f64; 2]>>) -> MultiPolygon<f64> {
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

    /// A closed star-shaped (so simple) ring of `n` vertices around `centre`, radii in
    /// `[0.5, 1] * scale`, on a grid of 1e-4: vertices far apart on the grid stay distinct,
    /// as geo's interior point needs (its sweep asserts on rings that cross themselves).
    fn ring(rng: &mut SplitMix64, centre: [f64; 2], scale: f64, n: usize) -> Vec<[f64; 2]> {
        let snap = |v: f64| (v * 1e4).round() / 1e4;
        let mut r: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let d = scale * (0.5 + 0.5 * rng.unit());
                [snap(centre[0] + d * a.cos()), snap(centre[1] + d * a.sin())]
            })
            .collect();
        r.push(r[0]);
        r
    }

    #[test]
    fn holes_go_where_the_reference_puts_them() {
        let mut rng = SplitMix64(0x401e5);
        let mut placed = [0usize; 2];
        for case in 0..300 {
            let outers: Vec<Vec<[f64; 2]>> =
                (0..1 + case % 3).map(|k| ring(&mut rng, [2.5 * k as f64, 0.0], 1.5, 8 + 40 * (case % 4))).collect();
            // Holes well inside, near or across an outer ring's edge, and outside every one.
            let inners: Vec<Vec<[f64; 2]>> = (0..12)
                .map(|_| {
                    let c = [-1.5 + 7.0 * rng.unit(), -1.6 + 3.2 * rng.unit()];
                    let (scale, n) = (0.05 + 0.4 * rng.unit(), 5 + rng.below(30) as usize);
                    ring(&mut rng, c, scale, n)
                })
                .collect();
            let got = rings_to_multipolygon(outers.clone(), inners.clone());
            let want = reference(outers, inners);
            assert_eq!(got, want, "case {case}");
            for p in &got.0 {
                placed[usize::from(p.interiors().is_empty())] += p.interiors().len().max(1);
            }
        }
        assert!(placed[0] > 500, "holes placed: {placed:?}");
    }
}
