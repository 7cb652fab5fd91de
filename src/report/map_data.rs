//! What a map shows, gathered once from a finished analysis: the walking
//! network, homes (or hexagons of homes), facilities, service and coverage
//! areas, districts with their rows and target checks, proposed sites, and
//! the summary.
//!
//! Complexity: O(E·g + H·C + A) for E edges of g points, H homes, C
//! categories and A area vertices; the hexagon aggregation adds O(H).

use geo::{Coord, LineString, MultiPolygon, Simplify};

use crate::analysis::Analysis;
use crate::district::DistrictRow;
use crate::district::targets::RuleResult;
use crate::ids::{EdgeId, TimeMs};
use crate::report::hexbin::{HexCell, aggregate_homes_within};
use crate::report::palette::{self, Rgb};
use crate::siting::SitePlan;
use crate::summary::{Summary, Timings};

pub use crate::options::MapOptions;

/// A category as the map shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapCategory {
    /// Taxonomy key.
    pub key: String,
    /// English label.
    pub label_en: String,
    /// Chinese label.
    pub label_zh: String,
    /// Its colour.
    pub colour: Rgb,
    /// Facilities of it in the run.
    pub facilities: usize,
    /// Its main threshold's label (`15`, or `300m` for a tier).
    pub threshold: String,
}

pub use crate::report::hexbin::MapHome;

/// How homes are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum HomesLayer {
    /// One point per home.
    Points(Vec<MapHome>),
    /// Homes aggregated to H3 hexagons (too many to draw one by one).
    Hexagons {
        /// How many homes were aggregated.
        homes: usize,
        /// The H3 resolution used (coarser than asked when there were too many cells).
        resolution: u8,
        /// The cells, in H3 index order.
        cells: Vec<HexCell>,
    },
}

/// A facility on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapFacility {
    /// Its id as in facilities.geojson.
    pub id: String,
    /// Category index.
    pub category: usize,
    /// Its name (as tagged: Chinese names stay Chinese).
    pub name: Option<String>,
    /// Longitude, latitude.
    pub lonlat: [f64; 2],
}

/// A service area (one facility's) or coverage area (a category's).
#[derive(Debug, Clone, PartialEq)]
pub struct MapArea {
    /// Category index.
    pub category: usize,
    /// Threshold label.
    pub threshold: String,
    /// Index into [`MapData::facilities`] for a single facility's area, `None` for a category's.
    pub facility: Option<usize>,
    /// The outline (longitude/latitude).
    pub polygon: MultiPolygon<f64>,
}

/// A district with its row.
#[derive(Debug, Clone, PartialEq)]
pub struct MapDistrict {
    /// Its key.
    pub key: String,
    /// Its shape.
    pub shape: MultiPolygon<f64>,
    /// Its statistics (none when no row was made).
    pub row: Option<DistrictRow>,
}

/// A proposed site.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSite {
    /// 1 for the first pick.
    pub rank: usize,
    /// The candidate's id.
    pub id: String,
    /// Longitude, latitude.
    pub lonlat: [f64; 2],
    /// Homes newly covered.
    pub homes_gained: usize,
    /// People newly covered.
    pub population_gained: f64,
}

/// Proposed sites of one category.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSites {
    /// Category index.
    pub category: usize,
    /// The picks, in order.
    pub sites: Vec<MapSite>,
}

/// Everything a map shows.
#[derive(Debug, Clone)]
pub struct MapData {
    /// `[west, south, east, north]` of the network, homes and facilities, degrees.
    pub bbox: [f64; 4],
    /// Categories in taxonomy order.
    pub categories: Vec<MapCategory>,
    /// Whether thresholds are per-category tier distances.
    pub tiers: bool,
    /// The walking network: one polyline per edge.
    pub network: Vec<Vec<[f64; 2]>>,
    /// Homes.
    pub homes: HomesLayer,
    /// Facilities, in the run's order.
    pub facilities: Vec<MapFacility>,
    /// Coverage areas (per category) then service areas (per facility), when computed.
    pub areas: Vec<MapArea>,
    /// Points of the single facilities' outlines left out (see [`MapOptions::max_facility_area_points`]).
    pub facility_area_points_dropped: usize,
    /// Districts, when given.
    pub districts: Vec<MapDistrict>,
    /// The district row of homes in no district, when any.
    pub outside: Option<DistrictRow>,
    /// Policy target checks per district.
    pub targets: Vec<RuleResult>,
    /// The checked rules: id and the policy sentence it cites.
    pub rules: Vec<(String, String)>,
    /// Proposed sites, when planned.
    pub sites: Option<MapSites>,
    /// The run's summary (timings zeroed and the extract named without its folder, so
    /// equal runs give equal maps on any machine).
    pub summary: Summary,
}

/// `line` simplified (Ramer–Douglas–Peucker) to about `tolerance_m` metres.
pub fn simplify_line(line: &[[f64; 2]], tolerance_m: f64) -> Vec<[f64; 2]> {
    if tolerance_m <= 0.0 || line.len() <= 2 {
        return line.to_vec();
    }
    // Degrees of latitude; longitude is foreshortened by cos(lat), which the
    // tolerance (a metre or so) does not need to honour exactly.
    let ls: LineString<f64> = line.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    ls.simplify(tolerance_m / 111_320.0).0.into_iter().map(|c| [c.x, c.y]).collect()
}

/// Vertices of a multipolygon's rings.
pub(crate) fn points_of(mp: &MultiPolygon<f64>) -> usize {
    mp.0.iter().map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()).sum()
}

impl MapData {
    /// Gathers a map from a finished analysis, with the sites of `sites`
    /// (the plan and the category index) when given.
    pub fn from_analysis(a: &Analysis, sites: Option<(&SitePlan, usize)>, opts: &MapOptions) -> MapData {
        let cats = &a.config.taxonomy.categories;
        let mains: Vec<(String, TimeMs)> =
            (0..cats.len()).map(|c| a.config.thresholds(c).pop().expect("every category has a threshold")).collect();
        let categories: Vec<MapCategory> = cats
            .iter()
            .enumerate()
            .map(|(c, cat)| MapCategory {
                key: cat.key.clone(),
                label_en: cat.label_en.clone(),
                label_zh: cat.label_zh.clone(),
                colour: palette::category(c),
                facilities: a.facility_index[c].len(),
                threshold: mains[c].0.clone(),
            })
            .collect();

        let g = &a.graph;
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        let network: Vec<Vec<[f64; 2]>> = (0..g.num_edges())
            .map(|e| {
                let line = g.edge_geometry(EdgeId(e as u32));
                for p in line {
                    bbox = [bbox[0].min(p[0]), bbox[1].min(p[1]), bbox[2].max(p[0]), bbox[3].max(p[1])];
                }
                simplify_line(line, opts.network_simplify_m)
            })
            .collect();
        let homes_all: Vec<MapHome> = a
            .homes
            .iter()
            .enumerate()
            .map(|(h, home)| {
                let mut mask = 0u64;
                let minutes = (0..cats.len())
                    .map(|c| {
                        let t = a.nearest[c][h];
                        if t <= mains[c].1 && c < 64 {
                            mask |= 1 << c;
                        }
                        (t != TimeMs::INF).then(|| t.minutes() as f32)
                    })
                    .collect();
                MapHome {
                    lonlat: home.lonlat,
                    population: home.population,
                    reached_mask: mask,
                    reachable: a.home_anchors[h].is_some(),
                    minutes,
                }
            })
            .collect();
        {
            // Frame the homes and facilities too (a home far from any way is still drawn).
            for p in a.homes.iter().map(|h| h.lonlat).chain(a.facilities.iter().map(|f| f.lonlat)) {
                bbox = [bbox[0].min(p[0]), bbox[1].min(p[1]), bbox[2].max(p[0]), bbox[3].max(p[1])];
            }
        }
        if bbox[0] > bbox[2] {
            bbox = [0.0, 0.0, 0.0, 0.0];
        }
        let homes = if homes_all.len() > opts.hex_above {
            let (cells, resolution) =
                aggregate_homes_within(&homes_all, cats.len(), opts.hex_resolution, opts.max_hexagons);
            HomesLayer::Hexagons { homes: homes_all.len(), resolution, cells }
        } else {
            HomesLayer::Points(homes_all)
        };
        let facilities: Vec<MapFacility> = a
            .facilities
            .iter()
            .map(|f| MapFacility { id: f.id(), category: f.category.idx(), name: f.name.clone(), lonlat: f.lonlat })
            .collect();

        let mut areas = Vec::new();
        let mut dropped = 0;
        if let Some(iso) = &a.isochrones {
            for ca in &iso.categories {
                let c = ca.category.idx();
                let labels = a.config.thresholds(c);
                for r in &ca.areas {
                    areas.push(MapArea {
                        category: c,
                        threshold: labels[r.threshold].0.clone(),
                        facility: None,
                        polygon: r.area.polygon.clone(),
                    });
                }
            }
            let total: usize = iso.facilities.iter().flat_map(|f| &f.areas).map(|r| points_of(&r.area.polygon)).sum();
            if total > opts.max_facility_area_points {
                dropped = total;
            } else {
                for fa in &iso.facilities {
                    let c = a.facilities[fa.facility].category.idx();
                    let labels = a.config.thresholds(c);
                    for r in &fa.areas {
                        areas.push(MapArea {
                            category: c,
                            threshold: labels[r.threshold].0.clone(),
                            facility: Some(fa.facility),
                            polygon: r.area.polygon.clone(),
                        });
                    }
                }
            }
        }

        let (mut districts, mut outside, mut targets) = (Vec::new(), None, Vec::new());
        if let Some(d) = &a.districts {
            districts = d
                .set
                .districts
                .iter()
                .map(|dist| MapDistrict {
                    key: dist.key.clone(),
                    shape: dist.shape.clone(),
                    row: d.rows.iter().find(|r| r.key == dist.key).cloned(),
                })
                .collect();
            outside = d.rows.iter().find(|r| r.key == crate::district::table::OUTSIDE).cloned();
            targets = d.results.clone();
        }
        let rules = match a.config.districts.as_ref().and_then(|d| d.targets.as_ref()) {
            Some(t) if a.districts.is_some() => t.rules.iter().map(|r| (r.id.clone(), r.source.clone())).collect(),
            _ => Vec::new(),
        };

        let sites = sites.map(|(plan, category)| MapSites {
            category,
            sites: plan
                .picks
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let cand = &plan.candidates[p.candidate];
                    MapSite {
                        rank: i + 1,
                        id: cand.id.clone(),
                        lonlat: cand.lonlat,
                        homes_gained: p.homes_gained,
                        population_gained: p.population_gained,
                    }
                })
                .collect(),
        });

        let mut summary = a.summary.clone();
        summary.timings = Timings::default();
        summary.parameters.threads = 0;
        // A page is shared: the extract's name, not where it lies on this machine.
        summary.inputs.pbf = a
            .config
            .pbf
            .path()
            .file_name()
            .map_or_else(|| summary.inputs.pbf.clone(), |n| n.to_string_lossy().into_owned());
        MapData {
            bbox,
            categories,
            tiers: a.config.tiers.is_some(),
            network,
            homes,
            facilities,
            areas,
            facility_area_points_dropped: dropped,
            districts,
            outside,
            targets,
            rules,
            sites,
            summary,
        }
    }

    /// Homes on the map (aggregated ones included).
    pub fn home_count(&self) -> usize {
        match &self.homes {
            HomesLayer::Points(p) => p.len(),
            HomesLayer::Hexagons { homes, .. } => *homes,
        }
    }
}
