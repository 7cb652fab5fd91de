//! Service areas for many facilities at once: one bounded search per
//! facility (at the largest threshold) serves every threshold; facilities run
//! in parallel on rayon with one search workspace per thread. Category
//! coverage areas are the area of the union of their facilities' reached
//! networks, drawn per group of overlapping facilities.
//!
//! Complexity: per facility one bounded search plus, per threshold, one
//! [`build_area`] (proportional to the reached length times the buffer in
//! cells, plus the outline's size; see `service_area`) and one home count:
//! a [`RingIndex`] of the outline (`O(n)`) and one strip walk per home in the
//! area's box. Per category and threshold, `O(F²)` box tests for the groups,
//! duplicate intervals dropped (`O(I log I)`), plus one `build_area` per group.
//! Unlike a raster of the box, none of this grows with the empty ground
//! inside a large reach's box.

use geo::coordinate_position::CoordPos;
use geo::{BoundingRect, Contains, Coord, MultiPolygon, Point};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use super::reach::{ReachedInterval, intervals_within};
use super::ring_index::{RingIndex, RingQuery};
use super::service_area::{IsochroneParams, ServiceArea, build_area, local_projection};
use crate::graph::WalkGraph;
use crate::ids::{CategoryId, TimeMs};
use crate::routing::{Anchor, WorkspacePool, dijkstra};

/// One service area with what it holds.
#[derive(Debug, Clone)]
pub struct AreaResult {
    /// Index of the threshold (into the category's thresholds).
    pub threshold: usize,
    /// The area.
    pub area: ServiceArea,
    /// Homes inside.
    pub homes: usize,
    /// People inside.
    pub population: f64,
}

/// The service areas of one facility.
#[derive(Debug, Clone)]
pub struct FacilityAreas {
    /// Index into the analysis' facilities.
    pub facility: usize,
    /// One area per threshold, ascending.
    pub areas: Vec<AreaResult>,
}

/// A category's coverage areas.
#[derive(Debug, Clone)]
pub struct CategoryAreas {
    /// The category.
    pub category: CategoryId,
    /// One area per threshold, ascending.
    pub areas: Vec<AreaResult>,
}

/// Homes in an R-tree, for counting homes inside areas.
pub struct HomeIndex {
    tree: RTree<GeomWithData<[f64; 2], usize>>,
    population: Vec<f64>,
}

impl HomeIndex {
    /// Indexes homes by position (`[lon, lat]`) with their population.
    pub fn new(points: &[[f64; 2]], population: &[f64]) -> HomeIndex {
        let tree = RTree::bulk_load(points.iter().enumerate().map(|(i, &p)| GeomWithData::new(p, i)).collect());
        HomeIndex { tree, population: population.to_vec() }
    }

    /// `(homes, population)` inside `area` (geo's `contains`, answered through
    /// a [`RingIndex`] of the area's rings: the same homes, without walking
    /// every ring for every home).
    pub fn count(&self, area: &ServiceArea) -> (usize, f64) {
        let Some(r) = area.polygon.bounding_rect() else { return (0, 0.0) };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let candidates: Vec<&GeomWithData<[f64; 2], usize>> = self.tree.locate_in_envelope(env).collect();
        let mut inside: Vec<usize> = if candidates.len() < FEW_HOMES {
            // Too few homes to pay for an index: geo on each.
            candidates
                .iter()
                .filter(|h| area.polygon.contains(&Point::new(h.geom()[0], h.geom()[1])))
                .map(|h| h.data)
                .collect()
        } else {
            let index = Inside::new(&area.polygon);
            let mut q = RingQuery::default();
            candidates
                .iter()
                .filter(|h| index.contains(Coord { x: h.geom()[0], y: h.geom()[1] }, &mut q))
                .map(|h| h.data)
                .collect()
        };
        self.sum(&mut inside)
    }

    /// [`HomeIndex::count`] with geo's `contains` on every home in the box
    /// (the reference).
    pub fn count_reference(&self, area: &ServiceArea) -> (usize, f64) {
        let Some(r) = area.polygon.bounding_rect() else { return (0, 0.0) };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut inside: Vec<usize> = self
            .tree
            .locate_in_envelope(env)
            .filter(|h| area.polygon.contains(&Point::new(h.geom()[0], h.geom()[1])))
            .map(|h| h.data)
            .collect();
        self.sum(&mut inside)
    }

    fn sum(&self, inside: &mut [usize]) -> (usize, f64) {
        inside.sort_unstable(); // sum in a fixed order: identical bytes whatever the tree's layout
        let mut n = 0;
        let mut pop = 0.0;
        for &i in inside.iter() {
            n += 1;
            pop += self.population[i];
        }
        (n, pop)
    }
}

/// Below this many homes in an area's box, [`HomeIndex::count`] asks geo
/// directly (walking every ring per home) rather than building an index.
const FEW_HOMES: usize = 16;

/// geo's `MultiPolygon::contains(Coord)` through a [`RingIndex`]: inside
/// some polygon's exterior and not inside or on any of its holes.
struct Inside {
    index: RingIndex,
    /// Ring → its polygon, and whether it is the exterior (each polygon's
    /// rings are consecutive, exterior first).
    rings: Vec<(u32, bool)>,
}

impl Inside {
    fn new(mp: &MultiPolygon<f64>) -> Inside {
        let mut rings = Vec::new();
        let mut lines = Vec::new();
        for (p, poly) in mp.0.iter().enumerate() {
            if poly.exterior().0.is_empty() {
                continue; // geo: an empty polygon contains nothing
            }
            rings.push((p as u32, true));
            lines.push(poly.exterior());
            for h in poly.interiors() {
                rings.push((p as u32, false));
                lines.push(h);
            }
        }
        Inside { index: RingIndex::new(lines), rings }
    }

    fn contains(&self, c: Coord<f64>, q: &mut RingQuery) -> bool {
        // The rings not Outside, ascending: grouped by polygon, exterior first.
        let located = self.index.locate(c, q);
        let mut i = 0;
        while i < located.len() {
            let (p, exterior) = self.rings[located[i].0 as usize];
            let mut j = i + 1;
            while j < located.len() && self.rings[located[j].0 as usize].0 == p {
                j += 1;
            }
            let holes_touched = j - i - usize::from(exterior);
            if exterior && located[i].1 == CoordPos::Inside && holes_touched == 0 {
                return true;
            }
            i = j;
        }
        false
    }
}

/// Service areas of `facilities` (`(index, anchor, position)`) for each of
/// `thresholds` (ascending), plus the reached intervals per threshold for the
/// category union.
pub fn facility_areas(
    graph: &WalkGraph,
    pool: &WorkspacePool,
    facilities: &[(usize, Anchor, [f64; 2])],
    thresholds: &[TimeMs],
    params: &IsochroneParams,
    homes: &HomeIndex,
) -> Vec<(FacilityAreas, Vec<Vec<ReachedInterval>>)> {
    let max = *thresholds.last().expect("at least one threshold");
    facilities
        .par_iter()
        .map(|&(facility, anchor, lonlat)| {
            let intervals: Vec<Vec<ReachedInterval>> = pool.with(|ws| {
                dijkstra(graph, ws, &anchor.seeds(graph), max);
                thresholds.iter().map(|&t| intervals_within(graph, ws, &anchor, t)).collect()
            });
            let proj = local_projection(lonlat);
            let areas = intervals
                .iter()
                .enumerate()
                .map(|(k, iv)| {
                    let area = build_area(graph, iv, &proj, params);
                    let (homes, population) = homes.count(&area);
                    AreaResult { threshold: k, area, homes, population }
                })
                .collect();
            (FacilityAreas { facility, areas }, intervals)
        })
        .collect()
}

/// The coverage area of a category: the union of its facilities' reached
/// intervals (`per_facility[f][k]` for threshold `k`). Facilities whose areas
/// overlap (by bounding box) are drawn together on one local grid; groups
/// that do not touch are drawn apart, so the cells stay as fine as a single
/// facility's however far apart the facilities are (a merged extract may span
/// continents).
pub fn category_areas(
    graph: &WalkGraph,
    category: CategoryId,
    per_facility: &[&Vec<Vec<ReachedInterval>>],
    areas: &[&FacilityAreas],
    num_thresholds: usize,
    params: &IsochroneParams,
    homes: &HomeIndex,
) -> CategoryAreas {
    let results = (0..num_thresholds)
        .into_par_iter()
        .map(|k| {
            let boxes: Vec<Option<[f64; 4]>> = areas
                .iter()
                .map(|f| f.areas[k].area.polygon.bounding_rect().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]))
                .collect();
            let groups = overlapping_groups(&boxes);
            let mut polygons = Vec::new();
            let mut area_m2 = 0.0;
            let mut cell_m = params.cell_m;
            for group in groups {
                let mut all: Vec<ReachedInterval> =
                    group.iter().flat_map(|&f| per_facility[f][k].iter().copied()).collect();
                // The same stretch reached from several facilities marks the same cells: draw it once.
                all.sort_unstable_by(|a, b| {
                    a.edge.cmp(&b.edge).then(a.from_m.total_cmp(&b.from_m)).then(a.to_m.total_cmp(&b.to_m))
                });
                all.dedup_by(|a, b| {
                    a.edge == b.edge && a.from_m.to_bits() == b.from_m.to_bits() && a.to_m.to_bits() == b.to_m.to_bits()
                });
                let b =
                    group.iter().filter_map(|&f| boxes[f]).fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |a, b| {
                        [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
                    });
                let proj = local_projection([(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0]);
                // A union may span a whole region: allow a larger grid before coarsening.
                let union_params = IsochroneParams { max_cells: params.max_cells.max(UNION_MAX_CELLS), ..*params };
                let area = build_area(graph, &all, &proj, &union_params);
                area_m2 += area.area_m2;
                cell_m = cell_m.max(area.cell_m);
                polygons.extend(area.polygon.0);
            }
            let area = ServiceArea { polygon: geo::MultiPolygon::new(polygons), area_m2, cell_m };
            let (homes, population) = homes.count(&area);
            AreaResult { threshold: k, area, homes, population }
        })
        .collect();
    CategoryAreas { category, areas: results }
}

/// The grid cap for a category union (16 M cells: about 200 MB while drawn).
pub const UNION_MAX_CELLS: usize = 16_000_000;

/// Groups of indices whose boxes (`[min x, min y, max x, max y]`) overlap,
/// directly or through others; `None` boxes are left out. Each group is
/// ascending, groups by their first index. `O(n²)` box tests.
fn overlapping_groups(boxes: &[Option<[f64; 4]>]) -> Vec<Vec<usize>> {
    let n = boxes.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        let Some(a) = boxes[i] else { continue };
        for (j, b) in boxes.iter().enumerate().skip(i + 1) {
            let Some(b) = *b else { continue };
            if a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3] {
                let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for i in (0..n).filter(|&i| boxes[i].is_some()) {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}
