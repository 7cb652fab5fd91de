//! Service areas for many facilities at once: one bounded search per
//! facility (at the largest threshold) serves every threshold; facilities run
//! in parallel on rayon with one search workspace per thread. Category
//! coverage areas are the area of the union of their facilities' reached
//! networks, drawn once on a category-wide grid.

use geo::{BoundingRect, Contains, Point};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use super::reach::{ReachedInterval, intervals_within};
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

    /// `(homes, population)` inside `area`.
    pub fn count(&self, area: &ServiceArea) -> (usize, f64) {
        let Some(r) = area.polygon.bounding_rect() else { return (0, 0.0) };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut n = 0;
        let mut pop = 0.0;
        let mut inside: Vec<usize> = self
            .tree
            .locate_in_envelope(env)
            .filter(|h| area.polygon.contains(&Point::new(h.geom()[0], h.geom()[1])))
            .map(|h| h.data)
            .collect();
        inside.sort_unstable(); // sum in a fixed order: identical bytes whatever the tree's layout
        for i in inside {
            n += 1;
            pop += self.population[i];
        }
        (n, pop)
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
                let (u, v) = graph.edge_endpoints(anchor.edge);
                let seeds =
                    [(u, anchor.access.saturating_add(anchor.to_u)), (v, anchor.access.saturating_add(anchor.to_v))];
                dijkstra(graph, ws, &seeds, max);
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
/// intervals (`per_facility[f][k]` for threshold `k`), drawn once per threshold.
pub fn category_areas(
    graph: &WalkGraph,
    category: CategoryId,
    per_facility: &[&Vec<Vec<ReachedInterval>>],
    positions: &[[f64; 2]],
    num_thresholds: usize,
    params: &IsochroneParams,
    homes: &HomeIndex,
) -> CategoryAreas {
    let n = positions.len().max(1) as f64;
    let centre = [positions.iter().map(|p| p[0]).sum::<f64>() / n, positions.iter().map(|p| p[1]).sum::<f64>() / n];
    let proj = local_projection(centre);
    let areas = (0..num_thresholds)
        .into_par_iter()
        .map(|k| {
            let all: Vec<ReachedInterval> = per_facility.iter().flat_map(|f| f[k].iter().copied()).collect();
            let area = build_area(graph, &all, &proj, params);
            let (homes, population) = homes.count(&area);
            AreaResult { threshold: k, area, homes, population }
        })
        .collect();
    CategoryAreas { category, areas }
}
