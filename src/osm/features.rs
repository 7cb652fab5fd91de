//! Homes and facilities from the decoded records, by the taxonomy's rules.
//!
//! A home or facility drawn as an area stands at its area centroid.
//! Residential-area tests use an R-tree of area envelopes, so classifying
//! `b` buildings against `a` areas is `O(b log a)` plus the polygon tests.

use geo::{BoundingRect, Centroid, Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};
use serde::Serialize;

use super::point_grid::PointGrid;
use super::point_in_area::PreparedArea;
use super::read_pbf::{MISSING_NODE, OsmData};
use crate::ids::{CategoryId, OsmRef, OsmType};
use crate::taxonomy::{BuildingClass, Taxonomy};

/// A home: where people live, at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Home {
    /// Where it comes from: an OSM element, or for a user-supplied home
    /// `OsmType::Other` with its position in the user's file (so it sorts after OSM homes).
    pub osm: OsmRef,
    /// The user's id for a user-supplied home.
    pub user_id: Option<String>,
    /// People living there (1 for a home from OSM).
    pub population: f64,
    /// Longitude, latitude (WGS-84 degrees).
    pub lonlat: [f64; 2],
}

/// A service facility of one category.
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    /// Where it comes from (as for [`Home::osm`]).
    pub osm: OsmRef,
    /// The user's id for a user-supplied facility.
    pub user_id: Option<String>,
    /// Its category.
    pub category: CategoryId,
    /// Its name, if tagged.
    pub name: Option<String>,
    /// How many people it can serve (user-supplied `capacity`), if known.
    pub capacity: Option<f64>,
    /// Longitude, latitude (WGS-84 degrees).
    pub lonlat: [f64; 2],
}

impl Home {
    /// A home from OSM, one person.
    pub fn from_osm(osm: OsmRef, lonlat: [f64; 2]) -> Home {
        Home { osm, user_id: None, population: 1.0, lonlat }
    }

    /// The id written to outputs: the user's id, or `way/123`.
    pub fn id(&self) -> String {
        self.user_id.clone().unwrap_or_else(|| self.osm.to_string())
    }
}

impl Facility {
    /// The id written to outputs: the user's id, or `node/123`.
    pub fn id(&self) -> String {
        self.user_id.clone().unwrap_or_else(|| self.osm.to_string())
    }
}

/// Which rule produced the homes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeRule {
    /// Residential buildings (and unspecified buildings inside residential areas).
    #[default]
    Buildings,
    /// Residential landuse areas, because the extract has (almost) no residential buildings.
    ResidentialLanduse,
    /// Residential buildings, plus the residential areas that hold none of them
    /// (compounds whose buildings are not mapped), each at its centroid.
    BuildingsAndEmptyResidentialAreas,
    /// The user's homes file (`--homes`), replacing OSM's homes.
    UserFile,
}

/// What feature extraction saw, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct FeatureReport {
    /// The rule that produced the homes.
    pub home_rule: HomeRule,
    /// Homes found from buildings (before any fallback).
    pub homes_from_buildings: usize,
    /// Homes standing in for residential areas (whole-extract fallback, or areas with no home building).
    pub homes_from_residential_areas: usize,
    /// Homes from the user's file (`--homes`).
    pub homes_from_file: usize,
    /// Residential landuse areas found.
    pub residential_areas: usize,
    /// Areas or relations dropped because their geometry could not be built
    /// (missing nodes or members in a clipped extract).
    pub areas_without_geometry: usize,
}

/// One area geometry with where it comes from.
struct Area {
    osm: OsmRef,
    shape: MultiPolygon<f64>,
    /// `shape` prepared for the many "is this building inside" tests.
    prepared: PreparedArea,
}

impl Area {
    fn new(osm: OsmRef, shape: MultiPolygon<f64>) -> Area {
        Area { osm, prepared: PreparedArea::new(&shape), shape }
    }
}

struct Envelope {
    idx: usize,
    env: AABB<[f64; 2]>,
}

impl RTreeObject for Envelope {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

/// A way's node positions (nodes missing from the extract left out).
fn way_coords(data: &OsmData, way: usize) -> Vec<Coord<f64>> {
    (data.way_node_indices(way).iter().filter(|&&i| i != MISSING_NODE))
        .map(|&i| {
            let [x, y] = data.node_lonlat_at(i);
            Coord { x, y }
        })
        .collect()
}

/// Whether a way's positions close into a ring (at least four, the last the first).
fn is_closed(coords: &[Coord<f64>]) -> bool {
    coords.len() >= 4 && coords.first() == coords.last()
}

/// The area of a way: a polygon when closed, otherwise `None`.
fn way_polygon(coords: Vec<Coord<f64>>) -> Option<MultiPolygon<f64>> {
    is_closed(&coords).then(|| MultiPolygon::new(vec![Polygon::new(LineString(coords), vec![])]))
}

/// Centroid of a way: of its area when closed, of its line otherwise, of its vertices at worst.
///
/// One allocation (the coordinates, which become the polygon's ring): this
/// runs for every building of the extract. A closed way's position is
/// [`crate::geometry::polygon_position`], operation for operation
/// `area_position` of the one-polygon multipolygon.
fn way_centroid(data: &OsmData, way: usize) -> Option<[f64; 2]> {
    let mut coords = way_coords(data, way);
    if coords.is_empty() {
        return None;
    }
    if is_closed(&coords) {
        let polygon = Polygon::new(LineString(coords), vec![]);
        if let Some(c) = crate::geometry::polygon_position(&polygon) {
            return Some(c);
        }
        coords = polygon.into_inner().0.0;
    }
    let line = LineString(coords);
    if let Some(c) = line.centroid() {
        return Some([c.x(), c.y()]);
    }
    let n = line.0.len() as f64;
    Some([line.0.iter().map(|c| c.x).sum::<f64>() / n, line.0.iter().map(|c| c.y).sum::<f64>() / n])
}

/// The assembled area of a multipolygon relation.
fn relation_area(data: &OsmData, outer: &[i64], inner: &[i64]) -> Option<MultiPolygon<f64>> {
    super::multipolygon::relation_area(data, outer, inner).0
}

fn centroid_of(mp: &MultiPolygon<f64>) -> Option<[f64; 2]> {
    crate::geometry::area_position(mp)
}

/// Extracts homes and facilities, sorted by OSM reference (and category) for deterministic output.
pub fn extract_features(data: &OsmData, taxonomy: &Taxonomy) -> (Vec<Home>, Vec<Facility>, FeatureReport) {
    let mut no_geometry = 0usize;

    // Residential areas.
    let mut areas: Vec<Area> = Vec::new();
    let residential_ways: Vec<Option<Area>> = data
        .way_info
        .par_iter()
        .filter(|w| w.residential)
        .map(|w| {
            way_polygon(way_coords(data, w.way as usize))
                .map(|shape| Area::new(OsmRef { kind: OsmType::Way, id: data.way_ids[w.way as usize] }, shape))
        })
        .collect();
    // Residential relations: assembled in parallel, kept in relation order.
    let residential_relations: Vec<Option<Area>> = data
        .relations
        .par_iter()
        .filter(|r| r.residential)
        .map(|r| {
            relation_area(data, &r.outer, &r.inner)
                .map(|shape| Area::new(OsmRef { kind: OsmType::Relation, id: r.id }, shape))
        })
        .collect();
    for a in residential_ways.into_iter().chain(residential_relations) {
        match a {
            Some(a) => areas.push(a),
            None => no_geometry += 1,
        }
    }
    let tree = RTree::bulk_load(
        areas
            .iter()
            .enumerate()
            .filter_map(|(idx, a)| {
                a.shape
                    .bounding_rect()
                    .map(|r| Envelope { idx, env: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]) })
            })
            .collect(),
    );
    let in_residential = |p: [f64; 2]| {
        tree.locate_in_envelope_intersecting(AABB::from_point(p)).any(|e| areas[e.idx].prepared.contains(p))
    };

    // Buildings.
    let mut homes = Vec::new();
    // Centroids and the residential test in parallel, kept in way order.
    let building_ways: Vec<(OsmRef, BuildingClass, Option<[f64; 2]>, bool)> = data
        .way_info
        .par_iter()
        .filter_map(|w| {
            let class = w.building?;
            let osm = OsmRef { kind: OsmType::Way, id: data.way_ids[w.way as usize] };
            let c = way_centroid(data, w.way as usize);
            let inside = class == BuildingClass::HomeIfResidential && c.is_some_and(in_residential);
            Some((osm, class, c, inside))
        })
        .collect();
    for (osm, class, c, inside) in building_ways {
        match c {
            None => no_geometry += 1,
            Some(c) => {
                if class == BuildingClass::Home || inside {
                    homes.push(Home::from_osm(osm, c));
                }
            }
        }
    }
    let mut consider_building = |osm: OsmRef, class: BuildingClass, centroid: Option<[f64; 2]>| match centroid {
        None => no_geometry += 1,
        Some(c) => {
            let is_home = match class {
                BuildingClass::Home => true,
                BuildingClass::HomeIfResidential => in_residential(c),
                BuildingClass::NotHome => false,
            };
            if is_home {
                homes.push(Home::from_osm(osm, c));
            }
        }
    };
    for r in &data.relations {
        if let Some(class) = r.building {
            let osm = OsmRef { kind: OsmType::Relation, id: r.id };
            consider_building(osm, class, relation_area(data, &r.outer, &r.inner).as_ref().and_then(centroid_of));
        }
    }
    let homes_from_buildings = homes.len();
    let area_home = |a: &Area| centroid_of(&a.shape).map(|c| Home::from_osm(a.osm, c));
    let home_rule = if homes_from_buildings < taxonomy.homes.landuse_fallback_below && !areas.is_empty() {
        homes = areas.iter().filter_map(area_home).collect();
        HomeRule::ResidentialLanduse
    } else if taxonomy.homes.empty_residential_areas_are_homes {
        let points = PointGrid::new(&homes.iter().map(|h| h.lonlat).collect::<Vec<_>>());
        let before = homes.len();
        let empty: Vec<Option<Home>> = areas
            .par_iter()
            .map(|a| {
                let r = a.shape.bounding_rect()?;
                let (min, max) = ([r.min().x, r.min().y], [r.max().x, r.max().y]);
                let occupied = points.any_in_box(min, max, |p| a.prepared.contains(p));
                if occupied { None } else { area_home(a) }
            })
            .collect();
        homes.extend(empty.into_iter().flatten());
        if homes.len() > before { HomeRule::BuildingsAndEmptyResidentialAreas } else { HomeRule::Buildings }
    } else {
        HomeRule::Buildings
    };
    let homes_from_residential_areas =
        homes.len() - if home_rule == HomeRule::ResidentialLanduse { 0 } else { homes_from_buildings };
    homes.sort_by_key(|h| h.osm);
    homes.dedup_by_key(|h| h.osm);

    // Facilities.
    let mut facilities = Vec::new();
    let mut push = |osm: OsmRef, bits: u32, name: &Option<String>, lonlat: [f64; 2]| {
        for c in 0..taxonomy.len() {
            if bits & (1 << c) != 0 {
                facilities.push(Facility {
                    osm,
                    user_id: None,
                    category: CategoryId(c as u8),
                    name: name.clone(),
                    capacity: None,
                    lonlat,
                });
            }
        }
    };
    for p in &data.pois {
        push(OsmRef { kind: OsmType::Node, id: p.id }, p.categories, &p.name, p.lonlat);
    }
    for w in data.way_info.iter().filter(|w| w.categories != 0) {
        match way_centroid(data, w.way as usize) {
            Some(c) => push(OsmRef { kind: OsmType::Way, id: data.way_ids[w.way as usize] }, w.categories, &w.name, c),
            None => no_geometry += 1,
        }
    }
    for r in data.relations.iter().filter(|r| r.categories != 0) {
        let c = relation_area(data, &r.outer, &r.inner).as_ref().and_then(centroid_of).or_else(|| {
            // A relation with broken rings: the mean of whatever member nodes are present.
            let pts: Vec<[f64; 2]> = r
                .outer
                .iter()
                .filter_map(|&w| data.way_index(w))
                .flat_map(|i| data.way_nodes(i).iter().filter_map(|&n| data.node_lonlat(n)))
                .collect();
            (!pts.is_empty()).then(|| {
                let n = pts.len() as f64;
                [pts.iter().map(|p| p[0]).sum::<f64>() / n, pts.iter().map(|p| p[1]).sum::<f64>() / n]
            })
        });
        match c {
            Some(c) => push(OsmRef { kind: OsmType::Relation, id: r.id }, r.categories, &r.name, c),
            None => no_geometry += 1,
        }
    }
    facilities.sort_by_key(|f| (f.category, f.osm));
    facilities.dedup_by(|a, b| a.category == b.category && a.osm == b.osm);

    let report = FeatureReport {
        home_rule,
        homes_from_buildings,
        homes_from_residential_areas,
        homes_from_file: 0,
        residential_areas: areas.len(),
        areas_without_geometry: no_geometry,
    };
    (homes, facilities, report)
}
