//! H3 hexagons as districts: homes grouped by the H3 cell (via h3o) they
//! fall in, so every district statistic (shares by homes and population,
//! median and mean minutes, the complete share) is computed per hexagon with
//! the same definitions as per district, as Sony CSL's 15-minute-city maps
//! aggregate.
//!
//! `O(P log P)` for `P` points: each point's cell is computed once
//! (`LatLng::to_cell`), the distinct cells sorted.
//!
//! ```
//! use lifecircle::district::h3::{HexGrid, cell_of};
//! let homes = [[9.52, 47.14], [9.520_01, 47.14], [9.60, 47.20]];
//! let grid = HexGrid::new(&homes, 9);
//! // Two homes a metre apart share a cell; the third is elsewhere.
//! assert_eq!(grid.set.districts.len(), 2);
//! assert_eq!(grid.locate([9.52, 47.14]), grid.locate([9.520_01, 47.14]));
//! assert_eq!(grid.set.districts[0].key, format!("{:x}", cell_of([9.52, 47.14], 9).unwrap()).min(format!("{:x}", cell_of([9.60, 47.20], 9).unwrap())));
//! ```

use std::collections::HashMap;

use geo::{LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};

use super::sources::{District, DistrictSet};

/// The H3 cell of resolution `resolution` (0–15, clamped) holding `[lon, lat]`;
/// `None` for a non-finite or out-of-range position.
pub fn cell_of(lonlat: [f64; 2], resolution: u8) -> Option<u64> {
    let res = Resolution::try_from(resolution.min(15)).expect("0..=15 is a resolution");
    LatLng::new(lonlat[1], lonlat[0]).ok().map(|ll| u64::from(ll.to_cell(res)))
}

/// The hexagons holding a set of points, as districts (keyed by their H3
/// index in hexadecimal, in index order), with a lookup from positions.
#[derive(Debug, Clone)]
pub struct HexGrid {
    /// The cells as districts: key and id are the H3 index (`891f8d7a49bffff`),
    /// the shape its outline (counter-clockwise, closed).
    pub set: DistrictSet,
    /// The resolution.
    pub resolution: u8,
    index: HashMap<u64, usize>,
}

impl HexGrid {
    /// The cells of `resolution` that hold at least one of `points`.
    pub fn new(points: &[[f64; 2]], resolution: u8) -> HexGrid {
        HexGrid::from_cells(points.iter().filter_map(|&p| cell_of(p, resolution)).collect(), resolution)
    }

    /// The grid of these cells of `resolution` (H3 indices as [`cell_of`]
    /// gives them; sorted and deduplicated here): the cells of a tiled run's
    /// homes, gathered from its tiles. Values that are not valid cells are ignored.
    pub fn from_cells(mut cells: Vec<u64>, resolution: u8) -> HexGrid {
        cells.retain(|&c| CellIndex::try_from(c).is_ok());
        cells.sort_unstable();
        cells.dedup();
        let districts = cells
            .iter()
            .map(|&c| {
                let index = CellIndex::try_from(c).expect("valid cells only");
                let mut ring: Vec<(f64, f64)> = index.boundary().iter().map(|ll| (ll.lng(), ll.lat())).collect();
                ring.push(ring[0]);
                let key = format!("{index}");
                District {
                    id: key.clone(),
                    key,
                    shape: MultiPolygon::new(vec![Polygon::new(LineString::from(ring), Vec::new())]),
                }
            })
            .collect();
        let index = cells.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        HexGrid { set: DistrictSet { districts, problems: Vec::new() }, resolution: resolution.min(15), index }
    }

    /// The cell (district index) holding `lonlat`, if it is one of the grid's.
    pub fn locate(&self, lonlat: [f64; 2]) -> Option<usize> {
        cell_of(lonlat, self.resolution).and_then(|c| self.index.get(&c).copied())
    }

    /// The index of `cell` (an H3 index) among the grid's cells, if it is one of them.
    pub fn index_of(&self, cell: u64) -> Option<usize> {
        self.index.get(&cell).copied()
    }

    /// [`HexGrid::locate`] for every point.
    pub fn locate_all(&self, points: &[[f64; 2]]) -> Vec<Option<usize>> {
        points.iter().map(|&p| self.locate(p)).collect()
    }
}
