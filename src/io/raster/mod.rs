//! Population grids (GeoTIFF) as homes: one home per populated cell, at the
//! cell's centre, weighted by its people, for cities where OpenStreetMap has
//! few buildings. WorldPop grids (EPSG:4326, people per cell) and GHSL's
//! GHS-POP (ESRI:54009 Mollweide, [`mollweide`]) are read as they come.
//!
//! Reading is bounded like every user file ([`crate::io::limits`]): regular
//! files only, at most [`MAX_RASTER_FILE_BYTES`]; only the strips or tiles
//! that meet the area asked for are decoded (the `tiff` crate, one chunk at a
//! time), and the window of cells over that area holds at most
//! [`MAX_WINDOW_CELLS`]. Accepted: one sample per pixel of any integer or
//! float type, north-up grids (pixel scale and tie point, or a model
//! transformation without rotation), PixelIsArea or PixelIsPoint, GDAL's
//! nodata tag. Cells at nodata, NaN, zero or below hold nobody and are
//! counted, not kept.
//!
//! Complexity: `O(chunks met · chunk cells + window cells)`; memory: one
//! decoded chunk and the kept cells.
//!
//! ```no_run
//! use lifecircle::io::raster::{LonLatBox, read_population};
//! let area = LonLatBox { west: 118.77, south: 32.03, east: 118.80, north: 32.05 };
//! let (cells, report) = read_population("nanjing-pop.tif".as_ref(), None, area).unwrap();
//! println!("{} populated cells, {} people", cells.len(), report.population);
//! ```

pub mod geokeys;
pub mod mollweide;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use crate::error::{Error, Result};
use geokeys::{GeoKeys, key, parse_nodata};

/// Largest population GeoTIFF accepted: 64 GiB (only the chunks over the area are read).
pub const MAX_RASTER_FILE_BYTES: u64 = 64 << 30;

/// Most cells in the window over the area: 25 million (a 500 km square of 100 m cells).
pub const MAX_WINDOW_CELLS: u64 = 25_000_000;

/// The coordinate system of a population grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RasterCrs {
    /// EPSG:4326, longitude and latitude in degrees (WorldPop).
    Wgs84,
    /// ESRI:54009 World Mollweide, metres (GHSL), with its central meridian.
    Mollweide {
        /// Central meridian, degrees (0 for ESRI:54009).
        lon0_deg: f64,
    },
}

impl RasterCrs {
    /// A cell centre's `[lon, lat]` from grid coordinates; `None` off the projection.
    fn to_lonlat(self, xy: [f64; 2]) -> Option<[f64; 2]> {
        match self {
            RasterCrs::Wgs84 => Some(xy),
            RasterCrs::Mollweide { lon0_deg } => mollweide::inverse(xy, lon0_deg, mollweide::WGS84_RADIUS_M),
        }
    }

    /// `[lon, lat]` to the grid's coordinates.
    fn project(self, lonlat: [f64; 2]) -> [f64; 2] {
        match self {
            RasterCrs::Wgs84 => lonlat,
            RasterCrs::Mollweide { lon0_deg } => mollweide::forward(lonlat, lon0_deg, mollweide::WGS84_RADIUS_M),
        }
    }
}

impl std::fmt::Display for RasterCrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RasterCrs::Wgs84 => f.write_str("EPSG:4326"),
            RasterCrs::Mollweide { lon0_deg } if *lon0_deg == 0.0 => f.write_str("ESRI:54009"),
            RasterCrs::Mollweide { lon0_deg } => write!(f, "Mollweide (central meridian {lon0_deg})"),
        }
    }
}

impl FromStr for RasterCrs {
    type Err = String;

    /// `epsg:4326` (`wgs84`, `4326`) or `esri:54009` (`mollweide`, `54009`), any case.
    fn from_str(s: &str) -> std::result::Result<RasterCrs, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "epsg:4326" | "4326" | "wgs84" | "wgs-84" => Ok(RasterCrs::Wgs84),
            "esri:54009" | "54009" | "mollweide" => Ok(RasterCrs::Mollweide { lon0_deg: 0.0 }),
            other => Err(format!("{other:?} is not a population grid system (epsg:4326 or esri:54009)")),
        }
    }
}

/// A box in longitude and latitude, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLatBox {
    /// Westmost longitude.
    pub west: f64,
    /// Southmost latitude.
    pub south: f64,
    /// Eastmost longitude.
    pub east: f64,
    /// Northmost latitude.
    pub north: f64,
}

impl LonLatBox {
    /// Does the box hold `[lon, lat]` (edges included)?
    pub fn contains(&self, p: [f64; 2]) -> bool {
        (self.west..=self.east).contains(&p[0]) && (self.south..=self.north).contains(&p[1])
    }

    /// The box around `points` widened by `margin_m` metres; `None` without points.
    pub fn around(points: impl Iterator<Item = [f64; 2]>, margin_m: f64) -> Option<LonLatBox> {
        let mut b: Option<LonLatBox> = None;
        for [x, y] in points {
            let e = b.get_or_insert(LonLatBox { west: x, south: y, east: x, north: y });
            (e.west, e.south, e.east, e.north) = (e.west.min(x), e.south.min(y), e.east.max(x), e.north.max(y));
        }
        b.map(|b| {
            let dlat = margin_m / 111_320.0;
            let dlon = dlat / b.south.abs().max(b.north.abs()).min(89.0).to_radians().cos();
            LonLatBox {
                west: b.west - dlon,
                south: (b.south - dlat).max(-90.0),
                east: b.east + dlon,
                north: (b.north + dlat).min(90.0),
            }
        })
    }
}

/// One populated cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PopulationCell {
    /// Its row in the grid (0 at the top).
    pub row: u32,
    /// Its column (0 at the left).
    pub col: u32,
    /// Its centre, `[lon, lat]` (WGS-84 degrees).
    pub lonlat: [f64; 2],
    /// People in it.
    pub population: f64,
}

/// What reading a population grid saw, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RasterReport {
    /// The file.
    pub path: String,
    /// Its coordinate system (`EPSG:4326`, `ESRI:54009`).
    pub crs: String,
    /// Grid size, columns.
    pub width: u32,
    /// Grid size, rows.
    pub height: u32,
    /// Cell size in the grid's units (degrees or metres), x then y.
    pub cell_size: [f64; 2],
    /// The area read, `[west, south, east, north]`.
    pub area: [f64; 4],
    /// Cells whose centre lies in the area.
    pub cells_in_area: u64,
    /// Of them, cells with people (the homes).
    pub cells_populated: u64,
    /// Cells at the nodata value (or NaN).
    pub cells_nodata: u64,
    /// Cells with zero people, or a negative value that is not nodata.
    pub cells_empty: u64,
    /// People in the populated cells.
    pub population: f64,
}

/// Where the grid lies: cell `(col, row)` has its centre at
/// `(x0 + (col + off)·dx, y0 − (row + off)·dy)`.
#[derive(Debug, Clone, Copy)]
struct Grid {
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    /// 0.5 for PixelIsArea (the tie point is a pixel's corner), 0 for PixelIsPoint.
    off: f64,
    width: u32,
    height: u32,
}

impl Grid {
    fn centre(&self, col: u32, row: u32) -> [f64; 2] {
        [self.x0 + (f64::from(col) + self.off) * self.dx, self.y0 - (f64::from(row) + self.off) * self.dy]
    }

    /// Columns and rows (inclusive) whose centres fall in `[xmin, xmax] × [ymin, ymax]`; `None` if none.
    fn window(&self, xmin: f64, xmax: f64, ymin: f64, ymax: f64) -> Option<(u32, u32, u32, u32)> {
        let c0 = ((xmin - self.x0) / self.dx - self.off).ceil().max(0.0);
        let c1 = ((xmax - self.x0) / self.dx - self.off).floor().min(f64::from(self.width) - 1.0);
        let r0 = ((self.y0 - ymax) / self.dy - self.off).ceil().max(0.0);
        let r1 = ((self.y0 - ymin) / self.dy - self.off).floor().min(f64::from(self.height) - 1.0);
        (c0 <= c1 && r0 <= r1).then_some((c0 as u32, c1 as u32, r0 as u32, r1 as u32))
    }
}

fn tiff_err(path: &Path, e: tiff::TiffError) -> Error {
    Error::bad_input(path, "", format!("not a readable GeoTIFF: {e}"))
}

/// Reads the populated cells of the grid at `path` whose centres lie in
/// `area`; `crs` overrides what the file's GeoKeys say (needed when they
/// cannot be read). Cells come in row, then column order.
///
/// # Errors
///
/// A missing, non-regular or oversized file; not a TIFF; more than one
/// sample per pixel; no or rotated georeferencing; a coordinate system other
/// than EPSG:4326 or Mollweide; a window over the area larger than
/// [`MAX_WINDOW_CELLS`]. An area the grid does not cover is not an error
/// (no cells).
pub fn read_population(
    path: &Path,
    crs: Option<RasterCrs>,
    area: LonLatBox,
) -> Result<(Vec<PopulationCell>, RasterReport)> {
    let len = crate::io::limits::check_regular_file(path)?;
    if len > MAX_RASTER_FILE_BYTES {
        return Err(Error::bad_input(
            path,
            "",
            format!("population grid is larger than the limit of {}", crate::io::limits::human(MAX_RASTER_FILE_BYTES)),
        ));
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut limits = Limits::default();
    limits.ifd_value_size = 16 << 20;
    let mut dec = Decoder::new(BufReader::new(file)).map_err(|e| tiff_err(path, e))?.with_limits(limits);
    let (width, height) = dec.dimensions().map_err(|e| tiff_err(path, e))?;
    let samples = dec.find_tag_unsigned::<u16>(Tag::SamplesPerPixel).map_err(|e| tiff_err(path, e))?.unwrap_or(1);
    if samples != 1 {
        return Err(Error::bad_input(path, "", format!("{samples} samples per pixel; a population grid has one band")));
    }
    let keys = read_geokeys(&mut dec).map_err(|m| Error::bad_input(path, "", m))?;
    let crs = match crs {
        Some(c) => c,
        None => crs_of(&keys).map_err(|m| Error::bad_input(path, "", format!("{m}; give --population-crs")))?,
    };
    let grid = grid_of(&mut dec, &keys, width, height).map_err(|m| Error::bad_input(path, "", m))?;
    let nodata = match dec.find_tag(Tag::GdalNodata).map_err(|e| tiff_err(path, e))? {
        Some(v) => v.into_string().ok().and_then(|t| parse_nodata(&t)),
        None => None,
    };

    let mut report = RasterReport {
        path: path.display().to_string(),
        crs: crs.to_string(),
        width,
        height,
        cell_size: [grid.dx, grid.dy],
        area: [area.west, area.south, area.east, area.north],
        ..RasterReport::default()
    };
    // The area's extent in grid coordinates: its corners and edges projected.
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    const STEPS: usize = 64;
    for i in 0..=STEPS {
        let t = i as f64 / STEPS as f64;
        let lon = area.west + t * (area.east - area.west);
        let lat = area.south + t * (area.north - area.south);
        for p in [[lon, area.south], [lon, area.north], [area.west, lat], [area.east, lat]] {
            let [x, y] = crs.project(p);
            xs.push(x);
            ys.push(y);
        }
    }
    let fold = |v: &[f64]| v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let ((xmin, xmax), (ymin, ymax)) = (fold(&xs), fold(&ys));
    // One cell of slack: edge samples of a curved image may fall short of its extremes.
    let Some((c0, c1, r0, r1)) = grid.window(xmin - grid.dx, xmax + grid.dx, ymin - grid.dy, ymax + grid.dy) else {
        return Ok((Vec::new(), report));
    };
    let window_cells = u64::from(c1 - c0 + 1) * u64::from(r1 - r0 + 1);
    if window_cells > MAX_WINDOW_CELLS {
        return Err(Error::bad_input(
            path,
            "",
            format!(
                "the extract's area covers {window_cells} cells of this grid, more than the {MAX_WINDOW_CELLS} read at once; \
                 crop the grid (or use a coarser one)"
            ),
        ));
    }

    let (cw, ch) = dec.chunk_dimensions();
    let across = width.div_ceil(cw);
    let mut cells = Vec::new();
    // Chunks in row-major order; within each chunk band, cells are collected per chunk and sorted at the end.
    for cy in r0 / ch..=r1 / ch {
        for cx in c0 / cw..=c1 / cw {
            let index = cy * across + cx;
            let (dw, dh) = dec.chunk_data_dimensions(index);
            let data = dec.read_chunk(index).map_err(|e| tiff_err(path, e))?;
            let values = as_f64(&data, nodata);
            if values.len() < (dw as usize) * (dh as usize) {
                return Err(Error::bad_input(path, "", format!("chunk {index} holds fewer cells than its size")));
            }
            for dr in 0..dh {
                let row = cy * ch + dr;
                if row < r0 || row > r1 {
                    continue;
                }
                for dc in 0..dw {
                    let col = cx * cw + dc;
                    if col < c0 || col > c1 {
                        continue;
                    }
                    let Some(lonlat) = crs.to_lonlat(grid.centre(col, row)) else { continue };
                    if !area.contains(lonlat) {
                        continue;
                    }
                    report.cells_in_area += 1;
                    match values[(dr * dw + dc) as usize] {
                        None => report.cells_nodata += 1,
                        Some(v) if v > 0.0 && v.is_finite() => {
                            report.cells_populated += 1;
                            cells.push(PopulationCell { row, col, lonlat, population: v });
                        }
                        Some(_) => report.cells_empty += 1,
                    }
                }
            }
        }
    }
    cells.sort_by_key(|c| (c.row, c.col));
    report.population = cells.iter().map(|c| c.population).fold(0.0, |a, p| a + p);
    Ok((cells, report))
}

/// A chunk's samples as `f64`, `None` at nodata or NaN (compared in the
/// samples' own type, so a float32 nodata written as text still matches).
fn as_f64(data: &DecodingResult, nodata: Option<f64>) -> Vec<Option<f64>> {
    fn conv<T: Copy>(v: &[T], f: impl Fn(T) -> f64, is_nodata: impl Fn(T) -> bool) -> Vec<Option<f64>> {
        v.iter().map(|&x| if is_nodata(x) { None } else { Some(f(x)).filter(|y| !y.is_nan()) }).collect()
    }
    let nd = nodata.filter(|n| !n.is_nan());
    match data {
        DecodingResult::U8(v) => conv(v, f64::from, |x| nd == Some(f64::from(x))),
        DecodingResult::U16(v) => conv(v, f64::from, |x| nd == Some(f64::from(x))),
        DecodingResult::U32(v) => conv(v, f64::from, |x| nd == Some(f64::from(x))),
        DecodingResult::U64(v) => conv(v, |x| x as f64, |x| nd == Some(x as f64)),
        DecodingResult::I8(v) => conv(v, f64::from, |x| nd == Some(f64::from(x))),
        DecodingResult::I16(v) => conv(v, f64::from, |x| nd == Some(f64::from(x))),
        DecodingResult::I32(v) => conv(v, f64::from, |x| nd == Some(f64::from(x))),
        DecodingResult::I64(v) => conv(v, |x| x as f64, |x| nd == Some(x as f64)),
        DecodingResult::F16(v) => conv(v, f64::from, |x| nd.is_some_and(|n| f64::from(x) == n)),
        DecodingResult::F32(v) => conv(v, f64::from, |x| nd.is_some_and(|n| x == n as f32)),
        DecodingResult::F64(v) => conv(v, |x| x, |x| nd == Some(x)),
    }
}

fn read_geokeys<R: std::io::Read + std::io::Seek>(dec: &mut Decoder<R>) -> std::result::Result<GeoKeys, String> {
    let dir = match dec.find_tag(Tag::GeoKeyDirectoryTag).map_err(|e| e.to_string())? {
        Some(v) => v.into_u16_vec().map_err(|e| format!("bad GeoKey directory: {e}"))?,
        None => return Ok(GeoKeys::default()),
    };
    let doubles = match dec.find_tag(Tag::GeoDoubleParamsTag).map_err(|e| e.to_string())? {
        Some(v) => v.into_f64_vec().map_err(|e| format!("bad GeoDoubleParams: {e}"))?,
        None => Vec::new(),
    };
    let ascii = match dec.find_tag(Tag::GeoAsciiParamsTag).map_err(|e| e.to_string())? {
        Some(v) => v.into_string().map_err(|e| format!("bad GeoAsciiParams: {e}"))?,
        None => String::new(),
    };
    GeoKeys::parse(&dir, &doubles, &ascii)
}

/// The coordinate system the GeoKeys declare: EPSG:4326 (or CGCS2000, 4490,
/// within centimetres of it), or Mollweide (ESRI:54009 by code, or a
/// user-defined projection whose citation names Mollweide, as GDAL writes
/// ESRI:54009).
fn crs_of(keys: &GeoKeys) -> std::result::Result<RasterCrs, String> {
    if keys.0.is_empty() {
        return Err("the file has no GeoTIFF keys (no coordinate system)".into());
    }
    let citations = keys.citations();
    match keys.short(key::MODEL_TYPE) {
        Some(2) => match keys.short(key::GEOGRAPHIC_TYPE) {
            Some(4326 | 4490) => Ok(RasterCrs::Wgs84),
            Some(32767) if citations.to_ascii_uppercase().replace(' ', "").contains("WGS84") => Ok(RasterCrs::Wgs84),
            other => Err(format!("geographic coordinate system {other:?} is not EPSG:4326 ({citations})")),
        },
        Some(1) => {
            let units = keys.short(key::LINEAR_UNITS);
            if units.is_some_and(|u| u != 9001 && u != 32767) {
                return Err(format!("projected units {units:?} are not metres"));
            }
            let mollweide = match keys.short(key::PROJECTED_TYPE) {
                Some(54009) => true,
                Some(32767) | None => citations.to_ascii_lowercase().contains("mollweide"),
                Some(_) => false,
            };
            if !mollweide {
                return Err(format!(
                    "projected coordinate system {:?} is not ESRI:54009 Mollweide ({citations})",
                    keys.short(key::PROJECTED_TYPE)
                ));
            }
            for k in [key::FALSE_EASTING, key::FALSE_NORTHING] {
                if keys.double(k).is_some_and(|v| v != 0.0) {
                    return Err("a Mollweide grid with a false origin is not supported".into());
                }
            }
            let lon0_deg = keys.double(key::CENTER_LONG).or_else(|| keys.double(key::NAT_ORIGIN_LONG)).unwrap_or(0.0);
            Ok(RasterCrs::Mollweide { lon0_deg })
        }
        other => Err(format!("unknown GeoTIFF model type {other:?}")),
    }
}

/// The grid's placement from the pixel scale and tie point, or from a model
/// transformation without rotation; north-up only.
fn grid_of<R: std::io::Read + std::io::Seek>(
    dec: &mut Decoder<R>,
    keys: &GeoKeys,
    width: u32,
    height: u32,
) -> std::result::Result<Grid, String> {
    let f64s = |dec: &mut Decoder<R>, tag: Tag| -> std::result::Result<Option<Vec<f64>>, String> {
        match dec.find_tag(tag).map_err(|e| e.to_string())? {
            Some(v) => v.into_f64_vec().map(Some).map_err(|e| format!("bad {tag:?}: {e}")),
            None => Ok(None),
        }
    };
    let off = if keys.short(key::RASTER_TYPE) == Some(2) { 0.0 } else { 0.5 };
    let (x0, y0, dx, dy) = match (f64s(dec, Tag::ModelPixelScaleTag)?, f64s(dec, Tag::ModelTiepointTag)?) {
        (Some(scale), Some(tie)) if scale.len() >= 2 && tie.len() >= 6 => {
            let (dx, dy) = (scale[0], scale[1]);
            (tie[3] - tie[0] * dx, tie[4] + tie[1] * dy, dx, dy)
        }
        _ => match f64s(dec, Tag::ModelTransformationTag)? {
            Some(m) if m.len() >= 8 => {
                if m[1] != 0.0 || m[4] != 0.0 {
                    return Err("a rotated grid (model transformation with shear) is not supported".into());
                }
                (m[3], m[7], m[0], -m[5])
            }
            _ => return Err("no georeferencing (pixel scale and tie point, or model transformation)".into()),
        },
    };
    if !(dx.is_finite() && dy.is_finite() && dx > 0.0 && dy > 0.0 && x0.is_finite() && y0.is_finite()) {
        return Err(format!("cell size {dx} × {dy} is not a north-up grid"));
    }
    Ok(Grid { x0, y0, dx, dy, off, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_hold_exactly_the_centres_inside() {
        let g = Grid { x0: 10.0, y0: 50.0, dx: 1.0, dy: 1.0, off: 0.5, width: 10, height: 10 };
        // Centres at 10.5, 11.5, ... and 49.5, 48.5, ...
        assert_eq!(g.window(11.0, 13.5, 47.0, 49.5), Some((1, 3, 0, 2)));
        assert_eq!(g.window(0.0, 5.0, 0.0, 60.0), None);
        assert_eq!(g.window(-100.0, 100.0, -100.0, 100.0), Some((0, 9, 0, 9)));
        let p = Grid { off: 0.0, ..g };
        assert_eq!(p.window(10.0, 10.0, 50.0, 50.0), Some((0, 0, 0, 0)));
        assert_eq!(p.centre(2, 3), [12.0, 47.0]);
    }

    #[test]
    fn crs_names_parse() {
        assert_eq!("EPSG:4326".parse::<RasterCrs>(), Ok(RasterCrs::Wgs84));
        assert_eq!("esri:54009".parse::<RasterCrs>(), Ok(RasterCrs::Mollweide { lon0_deg: 0.0 }));
        assert!("epsg:3857".parse::<RasterCrs>().is_err());
        assert_eq!(RasterCrs::Mollweide { lon0_deg: 0.0 }.to_string(), "ESRI:54009");
    }
}
