//! Homes aggregated to H3 hexagons (via h3o), for maps of more homes than a
//! page can draw one by one.
//!
//! Complexity: O(H log H) per resolution tried (at most the requested one
//! plus one per coarsening step), for H homes.
//!
//! ```
//! use lifecircle::report::hexbin::{aggregate_homes, aggregate_homes_within, coarsen};
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
//! // Coarsening cells gives what coarsening the homes' cells (to their H3 parents) gives.
//! let homes = [home(9.52, 1), home(9.521, 3), home(9.56, 0)];
//! let (fine, _) = aggregate_homes_within(&homes, 2, 9, usize::MAX);
//! assert_eq!(fine.len(), 3);
//! let (coarse, res) = coarsen(&fine, 9);
//! assert_eq!((coarse.len(), res), (3, 8)); // still three cells at 8 ...
//! assert_eq!(coarsen(&coarse, 8), aggregate_homes_within(&homes, 2, 9, 2)); // ... two at 7
//! ```

use std::collections::BTreeMap;

use h3o::{LatLng, Resolution};

/// A home on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapHome {
    /// Longitude, latitude.
    pub lonlat: [f64; 2],
    /// People living there.
    pub population: f64,
    /// Bit `c` set when category `c` is reached within its main threshold.
    pub reached_mask: u64,
    /// Whether the home is on the network at all.
    pub reachable: bool,
    /// Minutes to the nearest facility of each category (`None`: none reachable).
    pub minutes: Vec<Option<f32>>,
}

impl MapHome {
    /// How many categories the home reaches.
    pub fn reached(&self) -> usize {
        self.reached_mask.count_ones() as usize
    }
}

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

/// The cells one resolution coarser: each parent cell sums its children's
/// homes, people and unreachable homes, and averages their means and shares
/// weighted as [`aggregate_homes`] weighs homes (by people, or by homes where
/// a cell has none). Returns the cells in index order and the new resolution;
/// unchanged at resolution 0.
pub fn coarsen(cells: &[HexCell], resolution: u8) -> (Vec<HexCell>, u8) {
    let Some(res) = Resolution::try_from(resolution.min(15)).ok().and_then(|r| r.pred()) else {
        return (cells.to_vec(), resolution);
    };
    // Per parent: homes, people, unreachable, and the weighted sums behind the means.
    struct Sum {
        homes: usize,
        population: f64,
        unreachable: usize,
        reached_pop: f64,
        reached_homes: f64,
        cat_pop: Vec<f64>,
        cat_homes: Vec<f64>,
    }
    let mut acc: BTreeMap<u64, Sum> = BTreeMap::new();
    for c in cells {
        let Some(parent) = h3o::CellIndex::try_from(c.cell).ok().and_then(|i| i.parent(res)) else { continue };
        let n = c.share_population.len();
        let a = acc.entry(u64::from(parent)).or_insert_with(|| Sum {
            homes: 0,
            population: 0.0,
            unreachable: 0,
            reached_pop: 0.0,
            reached_homes: 0.0,
            cat_pop: vec![0.0; n],
            cat_homes: vec![0.0; n],
        });
        // A child's mean and shares are by people when it has people, else by homes; both
        // sums are kept so the parent can use whichever its own total allows.
        let (w_pop, w_homes) = (c.population, c.homes as f64);
        a.homes += c.homes;
        a.population += c.population;
        a.unreachable += c.unreachable;
        a.reached_pop += c.mean_reached * w_pop;
        a.reached_homes += c.mean_reached * w_homes;
        for (k, s) in c.share_population.iter().enumerate() {
            a.cat_pop[k] += s * w_pop;
            a.cat_homes[k] += s * w_homes;
        }
    }
    let cells = acc
        .into_iter()
        .map(|(cell, a)| {
            let index = h3o::CellIndex::try_from(cell).expect("a parent cell");
            let by_pop = a.population > 0.0;
            let (total, reached, shares) = if by_pop {
                (a.population, a.reached_pop, a.cat_pop)
            } else {
                (a.homes as f64, a.reached_homes, a.cat_homes)
            };
            HexCell {
                cell,
                boundary: index.boundary().iter().map(|ll| [ll.lng(), ll.lat()]).collect(),
                homes: a.homes,
                population: a.population,
                unreachable: a.unreachable,
                mean_reached: reached / total,
                share_population: shares.into_iter().map(|s| s / total).collect(),
            }
        })
        .collect();
    (cells, u8::from(res))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Coarsening cells equals aggregating the homes to their cells' parents, on random homes
    /// (fixed seeds) with people, without people, unreachable, and random reach.
    #[test]
    fn coarsen_equals_aggregating_to_parents() {
        for seed in 1..=20u64 {
            let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let homes: Vec<MapHome> = (0..400)
                .map(|_| {
                    let lon = 116.30 + (next() % 10_000) as f64 * 1e-5;
                    let lat = 39.90 + (next() % 10_000) as f64 * 1e-5;
                    MapHome {
                        lonlat: [lon, lat],
                        population: [0.0, 1.0, 2.5, 7.0][(next() % 4) as usize],
                        reached_mask: next() % 8,
                        reachable: next() % 10 != 0,
                        minutes: vec![],
                    }
                })
                .collect();
            let (fine, res) = aggregate_homes_within(&homes, 3, 10, usize::MAX);
            assert_eq!(res, 10);
            let (coarse, res) = coarsen(&fine, 10);
            assert_eq!(res, 9);
            assert!(coarse.len() < fine.len(), "seed {seed}: {} -> {}", fine.len(), coarse.len());
            let (direct, res) = aggregate_homes_within(&homes, 3, 10, coarse.len());
            assert_eq!(res, 9);
            assert_eq!(direct.len(), coarse.len());
            for (a, b) in coarse.iter().zip(&direct) {
                assert_eq!(
                    (a.cell, a.homes, a.unreachable, &a.boundary),
                    (b.cell, b.homes, b.unreachable, &b.boundary)
                );
                assert!((a.population - b.population).abs() < 1e-9);
                assert!((a.mean_reached - b.mean_reached).abs() < 1e-9, "seed {seed}: {a:?} vs {b:?}");
                for (s, t) in a.share_population.iter().zip(&b.share_population) {
                    assert!((s - t).abs() < 1e-9, "seed {seed}");
                }
            }
            assert_eq!(coarse.iter().map(|c| c.homes).sum::<usize>(), homes.len());
        }
    }
}
