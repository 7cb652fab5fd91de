//! GeoTIFF georeferencing: the GeoKey directory (tag 34735 with its double
//! and ASCII parameters, 34736/34737), the pixel scale and tie point
//! (33550/33922) or the model transformation (34264), and the nodata value
//! GDAL writes (42113). Only what population grids need: north-up grids in
//! EPSG:4326 (WorldPop) or ESRI:54009 Mollweide (GHSL). `O(keys)`.

use std::collections::BTreeMap;

/// GeoKey ids used here (GeoTIFF 1.1, OGC 19-008r4).
pub mod key {
    /// GTModelTypeGeoKey: 1 projected, 2 geographic.
    pub const MODEL_TYPE: u16 = 1024;
    /// GTRasterTypeGeoKey: 1 PixelIsArea, 2 PixelIsPoint.
    pub const RASTER_TYPE: u16 = 1025;
    /// GTCitationGeoKey.
    pub const CITATION: u16 = 1026;
    /// GeodeticCRSGeoKey (GeographicTypeGeoKey).
    pub const GEOGRAPHIC_TYPE: u16 = 2048;
    /// GeodeticCitationGeoKey.
    pub const GEOG_CITATION: u16 = 2049;
    /// ProjectedCRSGeoKey (ProjectedCSTypeGeoKey).
    pub const PROJECTED_TYPE: u16 = 3072;
    /// ProjectedCitationGeoKey.
    pub const PCS_CITATION: u16 = 3073;
    /// ProjMethodGeoKey (ProjCoordTransGeoKey).
    pub const PROJ_METHOD: u16 = 3075;
    /// ProjLinearUnitsGeoKey.
    pub const LINEAR_UNITS: u16 = 3076;
    /// ProjNatOriginLongGeoKey.
    pub const NAT_ORIGIN_LONG: u16 = 3080;
    /// ProjFalseEastingGeoKey.
    pub const FALSE_EASTING: u16 = 3082;
    /// ProjFalseNorthingGeoKey.
    pub const FALSE_NORTHING: u16 = 3083;
    /// ProjCenterLongGeoKey.
    pub const CENTER_LONG: u16 = 3088;
}

/// A GeoKey's value.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// A SHORT held in the directory.
    Short(u16),
    /// DOUBLEs from the GeoDoubleParams tag.
    Doubles(Vec<f64>),
    /// Text from the GeoAsciiParams tag (the `|` terminator dropped).
    Ascii(String),
}

/// The GeoKeys of an image by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoKeys(pub BTreeMap<u16, KeyValue>);

impl GeoKeys {
    /// Parses the directory (SHORTs: a 4-SHORT header, then 4 SHORTs per key:
    /// id, location tag, count, value or offset) with its parameter tags.
    /// A key pointing outside its parameter tag is an error.
    pub fn parse(directory: &[u16], doubles: &[f64], ascii: &str) -> Result<GeoKeys, String> {
        let header = directory.get(..4).ok_or("the GeoKey directory is shorter than its header")?;
        let n = usize::from(header[3]);
        let entries = directory.get(4..4 + 4 * n).ok_or("the GeoKey directory is shorter than its key count")?;
        let mut keys = BTreeMap::new();
        for e in entries.chunks_exact(4) {
            let (id, location, count, value) = (e[0], e[1], usize::from(e[2]), usize::from(e[3]));
            let v = match location {
                0 => KeyValue::Short(e[3]),
                34736 => KeyValue::Doubles(
                    doubles
                        .get(value..value + count)
                        .ok_or_else(|| format!("GeoKey {id} points past the GeoDoubleParams"))?
                        .to_vec(),
                ),
                34737 => {
                    let text: String = ascii.chars().skip(value).take(count).collect();
                    if text.chars().count() < count.saturating_sub(1) {
                        return Err(format!("GeoKey {id} points past the GeoAsciiParams"));
                    }
                    KeyValue::Ascii(text.trim_end_matches(['|', '\0']).to_string())
                }
                // SHORT arrays elsewhere in the directory (not used by the keys read here).
                34735 => continue,
                other => return Err(format!("GeoKey {id} has its value in tag {other}, not a GeoTIFF parameter tag")),
            };
            keys.insert(id, v);
        }
        Ok(GeoKeys(keys))
    }

    /// A SHORT key.
    pub fn short(&self, id: u16) -> Option<u16> {
        match self.0.get(&id) {
            Some(KeyValue::Short(v)) => Some(*v),
            _ => None,
        }
    }

    /// A DOUBLE key (its first value).
    pub fn double(&self, id: u16) -> Option<f64> {
        match self.0.get(&id) {
            Some(KeyValue::Doubles(v)) => v.first().copied(),
            _ => None,
        }
    }

    /// Every ASCII key's text, joined (citations, where writers put a CRS's name or WKT).
    pub fn citations(&self) -> String {
        let texts: Vec<&str> = self
            .0
            .values()
            .filter_map(|v| match v {
                KeyValue::Ascii(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        texts.join(" | ")
    }
}

/// The nodata value GDAL writes as text (`-99999`, `nan`, `-3.4028234663852886e+38`).
pub fn parse_nodata(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    match t.to_ascii_lowercase().as_str() {
        "nan" | "-nan" => Some(f64::NAN),
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_with_shorts_doubles_and_ascii() {
        // Header (1.1.0, 5 keys), then: model type 1, raster type 1, projected type 32767,
        // PCS citation in ASCII at 0 (16 chars), centre longitude in DOUBLE at 1.
        let dir = [1, 1, 0, 5, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32767, 3073, 34737, 16, 0, 3088, 34736, 1, 1];
        let keys = GeoKeys::parse(&dir, &[7.0, 12.5], "World_Mollweide|").unwrap();
        assert_eq!(keys.short(key::MODEL_TYPE), Some(1));
        assert_eq!(keys.short(key::PROJECTED_TYPE), Some(32767));
        assert_eq!(keys.double(key::CENTER_LONG), Some(12.5));
        assert_eq!(keys.citations(), "World_Mollweide");
        assert!(GeoKeys::parse(&dir[..10], &[], "").is_err());
        assert!(GeoKeys::parse(&dir, &[7.0], "World_Mollweide|").is_err());
    }

    #[test]
    fn nodata_text() {
        assert_eq!(parse_nodata("-99999"), Some(-99999.0));
        assert_eq!(parse_nodata("-200\0"), Some(-200.0));
        assert!(parse_nodata("nan").unwrap().is_nan());
        assert_eq!(parse_nodata("-3.4028234663852886e+38"), Some(-3.402_823_466_385_288_6e38));
        assert_eq!(parse_nodata("none"), None);
    }
}
