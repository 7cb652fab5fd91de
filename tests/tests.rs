//! The lifecircle integration test suite.
//!
//! Everything is compiled into this one test binary (cargo would build one
//! binary per `tests/*.rs` file, so the modules live under `tests/suite/` and
//! are pulled in with `#[path]`):
//!
//! | module | what it covers |
//! |---|---|
//! | `common` | helpers: a fixed-seed PRNG, a tiny PBF writer, petgraph references, fixtures, the CLI runner |
//! | `handbuilt` | networks at known coordinates with every answer worked out by hand |
//! | `properties` | random graphs (named seeds) against petgraph and brute-force references |
//! | `ingest` | synthetic PBFs for the OSM rules: splitting, missing nodes, walkability, homes, facilities |
//! | `realdata` | the bundled extracts against independent re-computations and slow references |
//! | `determinism` | thread count does not change any output byte |
//! | `formats` | every layer as GeoJSON, GeoParquet and FlatGeobuf read back by independent readers (parquet's Arrow reader and a WKB parser, the flatgeobuf reader and its R-tree box queries) and compared value for value with the GeoJSON: hand-built points and holed multipolygons with nulls of every type, three row groups, empty layers, the Beijing coverage and facilities; byte-identical rewrites |
//! | `fuzz_regressions` | fuzzing finds (`fuzz/`, `scripts/fuzz.sh`): each reproducer under `tests/fixtures/fuzz/` read back to `Ok` with the right answer or a clean error; open finds `#[ignore]`d with the reason |
//! | `golden` | `summary.json` of the Beijing fixture against `tests/golden/` (`LIFECIRCLE_BLESS=1` rewrites) |
//! | `cli` | every bad input and parameter: exit 2, one line, no output, no panic |
//! | `layers` | layers that agree: the `--h3` hexagons recomputed by hand from `coverage.geojson` with h3o |
//! | `regression` | one test per reported bug |
//! | `hostile` | hostile input and interruption: signals during the write stage, debris of dead runs, devices/FIFOs/huge files/long lines, `run.json` and one run per folder, misleading messages, and a table of 60+ bad inputs against an earlier run's folder |
//! | `site` | `lifecircle site`: picks recomputed by an independent run, gains by searches, bad arguments |
//! | `crs` | GCJ-02 / BD-09 conversions against published reference values |
//! | `points` | user facility and home files (CSV, GeoJSON) and their bad-input errors |
//! | `table` | points from a table in memory (the Python package's GeoDataFrames) against the same rows read from CSV/GeoJSON files, row/column messages, skipping |
//! | `isochrones` | service areas: reached intervals against their definition and by hand, polygons against the buffer of the reached network on random nets, street grids and the Beijing fixture (inside, outside, nesting, validity, winding, holes, pieces), `isochrones.geojson` recounted, determinism, golden summary `tests/golden/beijing-bupt.isochrones.json` (`LIFECIRCLE_BLESS=1` rewrites), CLI |
//! | `districts` | district statistics: Gini coefficient and percentiles against hand values and a double-sum reference, policy targets as data (built-in Tianjin file, malformed files), target evaluation on hand-built district rows |
//! | `district_table` | districts end to end: `DistrictIndex::locate` against the brute force and a ray cast on random holed, overlapping, multi-part districts; admin boundaries from a synthetic PBF (split outer ring, inner ring, exclave, missing member); GeoJSON district files (bow-tie, Point, `--district-key`, broken JSON); Beijing rows recomputed from `coverage.geojson`/`facilities.geojson`; k-nearest means against `nearest_times` and a petgraph brute force; `lifecircle districts --admin-level 8` on Liechtenstein |
//! | `compare` | `lifecircle compare`: two Beijing runs (thresholds, user facilities) against B − A recomputed from their `summary.json`, identical runs, district tables, CLI outputs, bad inputs, determinism |
//! | `userdata` | users' own data end to end: population weighting, elderly and wheelchair profiles, several thresholds and tiers, 2SFCA capacity, add/replace modes, CRS, bad rows |
//! | `whatif` | `analyze --add-facilities / --remove-facilities` on the Beijing fixture: `whatif.csv` against two independent runs subtracted (`--facilities` add and replace runs), planned outputs byte for byte, monotonicity over random plans, unknown ids and bad flags, stdout/`--quiet`, stale files, determinism |
//! | `png` | PNG maps: the default data through `lifecircle map`, its colour histogram against the legend (every colour in use drawn exactly, magenta absent) and the library's bytes; a hand-built map for the attribution, determinism, Chinese labels, missing glyphs, hexagons, one-category colours, sites, districts, bad sizes and boxes; bad CLI arguments |
//! | `policy` | the policy as officials count it: per-unit shares (`units_with_facility`, `units_median_within`) against a count by hand and a recount from `coverage.geojson`; three admin levels at once with the three-tier elderly facilities and the failing units named, three `--districts` files with community rules read per coarser unit; bundled national lists by name, their clauses, `complete` over their own set; AutoNavi type paths and typecodes, Baidu tags; bad `--levels` / `--taxonomy` |
//! | `population` | `--population FILE.tif`: the fixture grids cell by cell (EPSG:4326 against its table, Mollweide against the script's formula and an independent inverse, PixelIsPoint, nodata, clipping, regenerated by their script), people as weights by hand, the Nanjing extract's people where OSM has no buildings, bad files |
//! | `tiles` | exact tiles: `prepare` + `analyze --tile` rows against the whole run with `--reach-minutes` home for home (default data cut through towns, the tiled synthetic fixture, random networks and tile sizes with fixed seeds), `merge` against the whole summary, damaged tiles and parameters a tile cannot answer (exit 2, no output) |
//! | `wire` | the wire decoder of PBF blocks (`osm::wire`) against the reference decoder (osmpbfreader's `PrimitiveBlock` message): every blob of the fixtures without stepping aside, random blocks with metadata and unknown fields, hand-written unusual encodings (unpacked, split, merged, reordered fields), and thousands of mutated blocks (never accepted when the reference refuses; the fallback gives the reference's elements or error) |
//! | `report` | `report.html` in headless Chromium (`common::browser`; `LIFECIRCLE_SKIP_BROWSER=1` skips without one): `#selftest` layer counts against `summary.json`, language switch, attribution, screenshot pixels, H3 hexagon mode recounted with h3o, `site --report`, byte-identical pages across threads and subcommands, hostile facility names, self-contained page |

#[path = "suite/cli.rs"]
mod cli;
#[path = "suite/common/mod.rs"]
mod common;
#[path = "suite/compare.rs"]
mod compare;
#[path = "suite/crs.rs"]
mod crs;
#[path = "suite/determinism.rs"]
mod determinism;
#[path = "suite/district_table.rs"]
mod district_table;
#[path = "suite/districts.rs"]
mod districts;
#[path = "suite/formats.rs"]
mod formats;
#[path = "suite/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "suite/golden.rs"]
mod golden;
#[path = "suite/handbuilt.rs"]
mod handbuilt;
#[path = "suite/hostile.rs"]
mod hostile;
#[path = "suite/ingest.rs"]
mod ingest;
#[path = "suite/isochrones.rs"]
mod isochrones;
#[path = "suite/layers.rs"]
mod layers;
#[path = "suite/png.rs"]
mod png;
#[path = "suite/points.rs"]
mod points;
#[path = "suite/policy.rs"]
mod policy;
#[path = "suite/population.rs"]
mod population;
#[path = "suite/properties.rs"]
mod properties;
#[path = "suite/realdata.rs"]
mod realdata;
#[path = "suite/regression.rs"]
mod regression;
#[path = "suite/report.rs"]
mod report;
#[path = "suite/site.rs"]
mod site;
#[path = "suite/table.rs"]
mod table;
#[path = "suite/tiles.rs"]
mod tiles;
#[path = "suite/userdata.rs"]
mod userdata;
#[path = "suite/whatif.rs"]
mod whatif;
#[path = "suite/wire.rs"]
mod wire;
