//! Points to districts: an R-tree of district bounding boxes, then an exact
//! point-in-polygon test on the candidates. `O(P log D)` expected for `P`
//! points and `D` districts, in parallel; a point in several (overlapping)
//! districts goes to the first in input order, one in none to `None` (the
//! `(outside)` row).

use geo::{BoundingRect, Contains, Point};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::sources::District;

/// An index of districts for point lookups.
pub struct DistrictIndex<'a> {
    districts: &'a [District],
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl<'a> DistrictIndex<'a> {
    /// Indexes `districts`.
    pub fn new(districts: &'a [District]) -> DistrictIndex<'a> {
        let boxes = districts
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                d.shape.bounding_rect().map(|r| {
                    GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i)
                })
            })
            .collect();
        DistrictIndex { districts, tree: RTree::bulk_load(boxes) }
    }

    /// The district holding `lonlat` (the first in input order when several do).
    pub fn locate(&self, lonlat: [f64; 2]) -> Option<usize> {
        let p = Point::new(lonlat[0], lonlat[1]);
        self.tree
            .locate_in_envelope_intersecting(AABB::from_point(lonlat))
            .map(|c| c.data)
            .filter(|&i| self.districts[i].shape.contains(&p))
            .min()
    }

    /// The district of every point, in parallel.
    pub fn locate_all(&self, points: &[[f64; 2]]) -> Vec<Option<usize>> {
        points.par_iter().map(|&p| self.locate(p)).collect()
    }
}

/// The slow obvious reference: test every district. `O(P · D)`.
pub fn locate_brute_force(districts: &[District], lonlat: [f64; 2]) -> Option<usize> {
    let p = Point::new(lonlat[0], lonlat[1]);
    districts.iter().position(|d| d.shape.contains(&p))
}
