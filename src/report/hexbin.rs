//! Homes aggregated to H3 hexagons (via h3o), for maps of more homes than a
//! page can draw one by one.
//!
//! Complexity: O(H log H) per resolution tried (at most the requested one
//! plus one per coarsening step), for H homes.
//!
//! ```
//! use lifecircle::report::hexbin::{aggregate_homes, aggregate_homes_within};
//! use lifecircle::report::map_data::MapHome;
//! let home = |lon: f64, mask: u64| MapHome {
//!     lonlat: [lon, 47.14], population: 2.0, reached_mask: mask, reachable: true, minutes: vec![],
//! };
//! // Two homes a metre apart share a cell; one reaches both categories, one neither.
//! let cells = aggregate_homes(&[home(9.52, 0b11), home(9.520_01, 0)], 2, 9);
//! assert_eq!(cells.len(), 1);
//! assert_eq!(cells[0].homes, 2);
//! assert_eq!(cells[0].mean_reached, 1.0);
//! assert_eq!(cells[0].share_population, vec![0.5, 0.5]);
//! // Homes 10 km apart, at most one cell allowed: coarser cells until they share one.
//! let (cells, res) = aggregate_homes_within(&[home(9.52, 1), home(9.65, 0)], 2, 9, 1);
//! assert_eq!(cells.len(), 1);
//! assert!(res < 9);
//! ```

use std::collections::BTreeMap;

use h3o::{LatLng, Resolution};

use crate::report::map_data::MapHome;

/// One hexagon of homes.
#[derive(Debug, Clone, PartialEq)]
pub struct HexCell {
    /// The H3 cell index.
    pub cell: u64,
    /// Its outline, longitude/latitude, counter-clockwise, not closed.
    pub boundary: Vec<[f64; 2]>,
    /// Homes in it.
    pub homes: usize,
    /// People in them.
    pub population: f64,
    /// Homes not on the network.
    pub unreachable: usize,
    /// Population-weighted mean number of categories reached (homes weighted
    /// equally when the cell has no population).
    pub mean_reached: f64,
    /// Per category, the share of the cell's population reaching it (of homes
    /// when the cell has no population).
    pub share_population: Vec<f64>,
}

#[derive(Default)]
struct Acc {
    homes: usize,
    population: f64,
    unreachable: usize,
    reached_pop: f64,
    reached_homes: usize,
    per_cat_pop: Vec<f64>,
    per_cat_homes: Vec<usize>,
}

/// Aggregates homes to H3 cells of `resolution` (0–15; clamped), in cell
/// index order. Homes with non-finite positions are skipped.
pub fn aggregate_homes(homes: &[MapHome], categories: usize, resolution: u8) -> Vec<HexCell> {
    aggregate_homes_within(homes, categories, resolution, usize::MAX).0
}

/// Like [`aggregate_homes`], but coarser (parent cells) while there would be
/// more than `max_cells` cells; returns the cells and the resolution used.
/// Homes scattered over a continent then still make a small page.
pub fn aggregate_homes_within(
    homes: &[MapHome],
    categories: usize,
    resolution: u8,
    max_cells: usize,
) -> (Vec<HexCell>, u8) {
    let mut res = Resolution::try_from(resolution.min(15)).expect("0..=15 is a resolution");
    let mut cells: Vec<Option<h3o::CellIndex>> =
        homes.iter().map(|h| LatLng::new(h.lonlat[1], h.lonlat[0]).ok().map(|ll| ll.to_cell(res))).collect();
    loop {
        let mut distinct: Vec<u64> = cells.iter().flatten().map(|&c| u64::from(c)).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let Some(coarser) = res.pred() else { break };
        if distinct.len() <= max_cells {
            break;
        }
        res = coarser;
        for c in cells.iter_mut().flatten() {
            *c = c.parent(res).expect("a coarser resolution");
        }
    }
    let mut acc: BTreeMap<u64, Acc> = BTreeMap::new();
    for (h, cell) in homes.iter().zip(&cells) {
        let Some(cell) = cell else { continue };
        let cell = u64::from(*cell);
        let a = acc.entry(cell).or_insert_with(|| Acc {
            per_cat_pop: vec![0.0; categories],
            per_cat_homes: vec![0; categories],
            ..Acc::default()
        });
        a.homes += 1;
        a.population += h.population;
        a.unreachable += usize::from(!h.reachable);
        let n = h.reached();
        a.reached_pop += h.population * n as f64;
        a.reached_homes += n;
        for c in 0..categories.min(64) {
            if h.reached_mask & (1 << c) != 0 {
                a.per_cat_pop[c] += h.population;
                a.per_cat_homes[c] += 1;
            }
        }
    }
    let cells =
        acc.into_iter()
            .map(|(cell, a)| {
                let index = h3o::CellIndex::try_from(cell).expect("made by to_cell");
                let boundary = index.boundary().iter().map(|ll| [ll.lng(), ll.lat()]).collect();
                let by_pop = a.population > 0.0;
                let mean_reached =
                    if by_pop { a.reached_pop / a.population } else { a.reached_homes as f64 / a.homes as f64 };
                let share_population = (0..categories)
                    .map(|c| {
                        if by_pop {
                            a.per_cat_pop[c] / a.population
                        } else {
                            a.per_cat_homes[c] as f64 / a.homes as f64
                        }
                    })
                    .collect();
                HexCell {
                    cell,
                    boundary,
                    homes: a.homes,
                    population: a.population,
                    unreachable: a.unreachable,
                    mean_reached,
                    share_population,
                }
            })
            .collect();
    (cells, u8::from(res))
}
