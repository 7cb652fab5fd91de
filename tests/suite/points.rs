//! User point files (`lifecircle::io::points`): facilities and homes from CSV
//! (comma, tab, semicolon; Chinese headers; BOM; UTF-16) and GeoJSON (Points,
//! Polygons and MultiPolygons at hand-computed centroids), format detection by
//! content, and every bad-input case: each error must name the file, the
//! row or feature, and the problem.

use std::path::{Path, PathBuf};

use lifecircle::io::points::{
    InputFormat, MAX_SKIPPED_MESSAGES, ReadReport, UserFacility, UserHome, read_facilities, read_homes,
};
use lifecircle::{Error, ErrorKind, Taxonomy};

use crate::common::repo_file;

// ---------------------------------------------------------------------------
// Helpers

/// A temp dir holding one file with `content`.
struct Input {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn input(name: &str, content: impl AsRef<[u8]>) -> Input {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write input");
    Input { _dir: dir, path }
}

fn facilities(name: &str, content: &str) -> (Vec<UserFacility>, ReadReport) {
    let f = input(name, content);
    read_facilities(&f.path, &Taxonomy::builtin(), false).unwrap_or_else(|e| panic!("{e}"))
}

fn homes(name: &str, content: impl AsRef<[u8]>) -> (Vec<UserHome>, ReadReport) {
    let f = input(name, content);
    read_homes(&f.path, false).unwrap_or_else(|e| panic!("{e}"))
}

fn key(f: &UserFacility) -> String {
    Taxonomy::builtin().categories[f.category.idx()].key.clone()
}

/// The (location, message) of a BadInput error, after checking that the
/// error names `path` and that its one-line display holds the location.
fn bad_input(e: &Error, path: &Path) -> (String, String) {
    let shown = e.to_string();
    assert!(shown.contains(&path.display().to_string()), "error does not name the file: {shown}");
    assert!(e.is_input_error(), "{shown}");
    assert!(!shown.contains('\n'), "one line: {shown}");
    match e.kind() {
        ErrorKind::BadInput { path: p, location, message } => {
            assert_eq!(p, path);
            assert!(shown.contains(location.as_str()), "{shown}");
            (location.clone(), message.clone())
        }
        other => panic!("expected BadInput, got {other:?}"),
    }
}

/// A home file that must fail at `location` with a message containing every one of `problem`.
fn homes_fail(name: &str, content: impl AsRef<[u8]>, location: &str, problem: &[&str]) {
    let f = input(name, content);
    let e = read_homes(&f.path, false).expect_err("bad input must be an error");
    let (loc, msg) = bad_input(&e, &f.path);
    assert_eq!(loc, location, "{e}");
    for p in problem {
        assert!(msg.contains(p), "{e:?} should mention {p:?}");
    }
}

/// Same for facilities.
fn facilities_fail(name: &str, content: &str, location: &str, problem: &[&str]) {
    let f = input(name, content);
    let e = read_facilities(&f.path, &Taxonomy::builtin(), false).expect_err("bad input must be an error");
    let (loc, msg) = bad_input(&e, &f.path);
    assert_eq!(loc, location, "{e}");
    for p in problem {
        assert!(msg.contains(p), "{e:?} should mention {p:?}");
    }
}

fn close(a: [f64; 2], b: [f64; 2]) -> bool {
    (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9
}

/// A FeatureCollection of `features` (JSON text of each).
fn collection(features: &[&str]) -> String {
    format!("{{\"type\": \"FeatureCollection\", \"features\": [{}]}}", features.join(",\n"))
}

fn point_feature(lon: f64, lat: f64, props: &str) -> String {
    format!(
        "{{\"type\": \"Feature\", \"properties\": {props}, \"geometry\": {{\"type\": \"Point\", \"coordinates\": [{lon}, {lat}]}}}}"
    )
}

// ---------------------------------------------------------------------------
// CSV

#[test]
fn csv_comma_facilities_with_all_columns() {
    let (f, r) = facilities(
        "f.csv",
        "id,name,category,lon,lat,capacity\n\
         s1,Wumart,grocery,116.3642,39.9658,\n\
         ,\"Clinic, north gate\",clinic,116.3687,39.9601,12.5\n\
         k9,Kindergarten,Childcare,116.3576,39.9630,180\n",
    );
    assert_eq!(r, ReadReport { format: InputFormat::Csv, rows: 3, skipped: vec![], skipped_count: 0 });
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].id, "s1");
    assert_eq!(f[0].row, 2);
    assert_eq!(key(&f[0]), "grocery");
    assert_eq!(f[0].name.as_deref(), Some("Wumart"));
    assert_eq!(f[0].capacity, None);
    assert_eq!(f[0].lonlat, [116.3642, 39.9658]);
    // Missing id: row-<line>, the header being line 1.
    assert_eq!(f[1].id, "row-3");
    assert_eq!(f[1].name.as_deref(), Some("Clinic, north gate"));
    assert_eq!(key(&f[1]), "clinic");
    assert_eq!(f[1].capacity, Some(12.5));
    assert_eq!(key(&f[2]), "childcare");
    assert_eq!(f[2].capacity, Some(180.0));
}

#[test]
fn csv_tab_delimited_homes() {
    let (h, r) = homes("grid.tsv", "id\tx\ty\tpop\nA\t118.78\t32.04\t350\nB\t118.785\t32.045\t0\n");
    assert_eq!(r.format, InputFormat::Csv);
    assert_eq!(h.len(), 2);
    assert_eq!((h[0].id.as_str(), h[0].lonlat, h[0].population), ("A", [118.78, 32.04], 350.0));
    assert_eq!(h[1].population, 0.0, "zero population is allowed");
}

#[test]
fn csv_semicolon_delimited_with_decimal_commas() {
    let (h, _) = homes("homes.csv", "lat;lon;population\n39,96;116,36;12,5\n\"39.95\";116.35;3\n");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].lonlat, [116.36, 39.96]);
    assert_eq!(h[0].population, 12.5);
    assert_eq!(h[1].lonlat, [116.35, 39.95]);
    // A decimal comma is not accepted in a comma-free context it cannot come from.
    homes_fail("h.csv", "lon\tlat\n116,36\t39.9\n", "row 2", &["longitude", "\"116,36\"", "not a number"]);
}

#[test]
fn csv_chinese_headers() {
    let (f, _) = facilities(
        "设施.csv",
        "名称,类别,经度,纬度,容量\n北太平庄老年餐桌,老年食堂,116.3701,39.9646,60\n蓟门里卫生服务站,卫生服务站,116.3522,39.9673,\n",
    );
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].name.as_deref(), Some("北太平庄老年餐桌"));
    assert_eq!(key(&f[0]), "elder_canteen");
    assert_eq!(f[0].capacity, Some(60.0));
    assert_eq!(f[0].lonlat, [116.3701, 39.9646]);
    assert_eq!(key(&f[1]), "clinic");
    let (h, _) = homes("小区.csv", "纬度,经度,人口\n39.96,116.36,1200\n");
    assert_eq!((h[0].lonlat, h[0].population), ([116.36, 39.96], 1200.0));
    // 类型 is a category column too.
    let (f, _) = facilities("f.csv", "类型,lng,lat\n幼儿园,116.3,39.9\n");
    assert_eq!(key(&f[0]), "childcare");
}

#[test]
fn csv_bom_case_and_spaces_in_headers() {
    let (h, r) = homes("h.csv", "\u{feff} ID , LNG ,Latitude, Pop \nc1, 116.31 ,39.91, 7 \n");
    assert_eq!(r.format, InputFormat::Csv);
    assert_eq!((h[0].id.as_str(), h[0].lonlat, h[0].population), ("c1", [116.31, 39.91], 7.0));
}

#[test]
fn csv_utf16_excel_unicode_text_is_decoded() {
    let text = "经度\t纬度\t人口\n116.3\t39.9\t42\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (h, _) = homes("export.txt", &bytes);
    assert_eq!((h[0].lonlat, h[0].population), ([116.3, 39.9], 42.0));
}

#[test]
fn csv_more_specific_column_names_win() {
    // `x`/`y` here are projected metres; lon/lat must be used, whatever the order.
    let (h, _) = homes("h.csv", "x,y,lat,lon,type\n440000,4420000,39.9,116.3,residential\n");
    assert_eq!(h[0].lonlat, [116.3, 39.9]);
    let (f, _) = facilities("f.csv", "type,category,lon,lat\n医疗保健服务,clinic,116.3,39.9\n");
    assert_eq!(key(&f[0]), "clinic", "category beats type");
}

#[test]
fn population_defaults_to_one() {
    // No population column.
    let (h, _) = homes("h.csv", "lon,lat\n116.3,39.9\n116.4,39.8\n");
    assert_eq!(h.iter().map(|h| h.population).collect::<Vec<_>>(), [1.0, 1.0]);
    // Blank population cell.
    let (h, _) = homes("h.csv", "lon,lat,population\n116.3,39.9,\n116.4,39.8,5\n");
    assert_eq!(h.iter().map(|h| h.population).collect::<Vec<_>>(), [1.0, 5.0]);
    // GeoJSON: absent, null and blank-string population.
    let text = collection(&[
        &point_feature(116.3, 39.9, "{}"),
        &point_feature(116.3, 39.9, "{\"population\": null}"),
        &point_feature(116.3, 39.9, "{\"人口\": \" \"}"),
        &point_feature(116.3, 39.9, "null"),
    ]);
    let (h, _) = homes("h.geojson", text);
    assert_eq!(h.iter().map(|h| h.population).collect::<Vec<_>>(), [1.0; 4]);
}

#[test]
fn header_only_csv_is_zero_points_not_an_error() {
    let (h, r) = homes("h.csv", "id,lon,lat,population\n");
    assert!(h.is_empty());
    assert_eq!((r.rows, r.skipped_count), (0, 0));
    let (f, _) = facilities("f.csv", "lon,lat,category\r\n");
    assert!(f.is_empty());
    let (h, r) = homes("h.geojson", "{\"type\":\"FeatureCollection\",\"features\":[]}");
    assert!(h.is_empty());
    assert_eq!(r.format, InputFormat::GeoJson);
}

#[test]
fn blank_records_are_ignored_and_rows_are_file_lines() {
    // Leading blank lines, CRLF, an Excel trailing `,,` record and a quoted
    // field spanning two lines: row numbers stay the file's line numbers.
    let text = "\r\n\r\nid,lon,lat\r\na,116.3,39.9\r\n,,\r\n\"b\nc\",116.4,39.8\r\nd,oops,39.7\r\n,,\r\n";
    let f = input("h.csv", text);
    let (h, r) = read_homes(&f.path, true).expect("skipping");
    assert_eq!(h.iter().map(|h| (h.id.as_str(), h.row)).collect::<Vec<_>>(), [("a", 4), ("b\nc", 6)]);
    assert_eq!(r.rows, 3, "blank records are not rows");
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].0, "row 8");
}

#[test]
fn csv_row_ids_default_to_their_line() {
    let (h, _) = homes("h.csv", "lon,lat\n116.3,39.9\n116.4,39.8\n");
    assert_eq!(h.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["row-2", "row-3"]);
}

// ---------------------------------------------------------------------------
// GeoJSON

#[test]
fn geojson_points_with_numeric_strings_and_ids() {
    let text = collection(&[
        r#"{"type": "Feature", "id": 17, "properties": {"category": "超市", "name": "物美", "capacity": "40"},
            "geometry": {"type": "Point", "coordinates": [116.3642, 39.9658, 52.0]}}"#,
        r#"{"type": "Feature", "properties": {"id": "c-2", "Type": "诊所", "容量": 8},
            "geometry": {"type": "Point", "coordinates": [116.3687, 39.9601]}}"#,
        r#"{"type": "Feature", "properties": {"类别": "托育", "名称": "小天使"},
            "geometry": {"type": "Point", "coordinates": [116.3593, 39.9569]}}"#,
    ]);
    let (f, r) = facilities("f.geojson", &text);
    assert_eq!(r, ReadReport { format: InputFormat::GeoJson, rows: 3, skipped: vec![], skipped_count: 0 });
    assert_eq!(f.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["17", "c-2", "feature-2"]);
    assert_eq!(f.iter().map(|f| f.row).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(f.iter().map(key).collect::<Vec<_>>(), ["grocery", "clinic", "childcare"]);
    assert_eq!(f[0].capacity, Some(40.0));
    assert_eq!(f[0].lonlat, [116.3642, 39.9658]);
    assert_eq!(f[1].capacity, Some(8.0));
    assert_eq!(f[2].name.as_deref(), Some("小天使"));

    let text = collection(&[&point_feature(116.3, 39.9, r#"{"population": "1234.5", "id": 99}"#)]);
    let (h, _) = homes("h.json", text);
    assert_eq!((h[0].id.as_str(), h[0].population), ("99", 1234.5));
}

#[test]
fn geojson_feature_id_member_wins_over_property() {
    let text = collection(&[r#"{"type": "Feature", "id": "member", "properties": {"id": "property"},
            "geometry": {"type": "Point", "coordinates": [116.3, 39.9]}}"#]);
    assert_eq!(homes("h.geojson", text).0[0].id, "member");
}

#[test]
fn geojson_polygon_at_its_centroid() {
    // Square 116.30..116.32 × 39.90..39.92: centroid (116.31, 39.91).
    let square = r#"{"type": "Feature", "properties": {"人口": 800},
        "geometry": {"type": "Polygon", "coordinates": [[[116.30,39.90],[116.32,39.90],[116.32,39.92],[116.30,39.92],[116.30,39.90]]]}}"#;
    // L shape, unit 0.01° from (116, 39): rectangle [0,2]×[0,1] (area 2,
    // centroid (1, 0.5)) plus [0,1]×[1,2] (area 1, centroid (0.5, 1.5)):
    // centroid ((2·1 + 0.5)/3, (2·0.5 + 1.5)/3) = (5/6, 5/6) units.
    let l_shape = r#"{"type": "Feature", "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [[[116,39],[116.02,39],[116.02,39.01],[116.01,39.01],[116.01,39.02],[116,39.02],[116,39]]]}}"#;
    // Square [0,4]² with a hole [1,2]², unit 0.001° from (118.7, 32.0):
    // area 16 − 1 = 15; x = y = (16·2 − 1·1.5)/15 = 30.5/15 units.
    let holed = r#"{"type": "Feature", "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [
            [[118.7,32.0],[118.704,32.0],[118.704,32.004],[118.7,32.004],[118.7,32.0]],
            [[118.701,32.001],[118.701,32.002],[118.702,32.002],[118.702,32.001],[118.701,32.001]]]}}"#;
    let (h, _) = homes("compounds.geojson", collection(&[square, l_shape, holed]));
    assert!(close(h[0].lonlat, [116.31, 39.91]), "{:?}", h[0].lonlat);
    assert_eq!(h[0].population, 800.0);
    let l = 0.01 * 5.0 / 6.0;
    assert!(close(h[1].lonlat, [116.0 + l, 39.0 + l]), "{:?}", h[1].lonlat);
    let c = 0.001 * 30.5 / 15.0;
    assert!(close(h[2].lonlat, [118.7 + c, 32.0 + c]), "{:?}", h[2].lonlat);
}

#[test]
fn geojson_multipolygon_at_its_area_weighted_centroid() {
    // Unit 0.01° from (121.4, 31.2): square [0,1]² (area 1, centroid (0.5, 0.5))
    // and square [2,4]×[0,2] (area 4, centroid (3, 1)):
    // centroid ((0.5 + 12)/5, (0.5 + 4)/5) = (2.5, 0.9) units.
    let multi = r#"{"type": "Feature", "properties": {"category": "grocery"},
        "geometry": {"type": "MultiPolygon", "coordinates": [
            [[[121.40,31.20],[121.41,31.20],[121.41,31.21],[121.40,31.21],[121.40,31.20]]],
            [[[121.42,31.20],[121.44,31.20],[121.44,31.22],[121.42,31.22],[121.42,31.20]]]]}}"#;
    let (f, _) = facilities("market.geojson", &collection(&[multi]));
    assert!(close(f[0].lonlat, [121.425, 31.209]), "{:?}", f[0].lonlat);
    assert_eq!(key(&f[0]), "grocery");
}

#[test]
fn geojson_single_feature() {
    let (h, r) = homes("one.geojson", point_feature(116.3, 39.9, r#"{"pop": 5}"#));
    assert_eq!(r.format, InputFormat::GeoJson);
    assert_eq!((h.len(), h[0].row, h[0].id.as_str(), h[0].population), (1, 0, "feature-0", 5.0));
}

#[test]
fn geojson_bad_geometries_are_row_errors() {
    let line = r#"{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[116.3,39.9],[116.4,39.9]]}}"#;
    let null = r#"{"type": "Feature", "properties": {}, "geometry": null}"#;
    let multipoint =
        r#"{"type": "Feature", "properties": {}, "geometry": {"type": "MultiPoint", "coordinates": [[116.3,39.9]]}}"#;
    let good = point_feature(116.3, 39.9, "{}");
    homes_fail("h.geojson", collection(&[&good, line]), "feature 1", &["LineString", "not supported"]);
    homes_fail("h.geojson", collection(&[null]), "feature 0", &["no geometry"]);
    homes_fail("h.geojson", collection(&[&good, &good, multipoint]), "feature 2", &["MultiPoint"]);
    let empty = r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": []}}"#;
    homes_fail("h.geojson", collection(&[empty]), "feature 0", &["Polygon", "empty"]);
    let bad_vertex = r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[116,39],[216,39],[116,40],[116,39]]]}}"#;
    homes_fail("h.geojson", collection(&[bad_vertex]), "feature 0", &["vertex", "longitude 216", "out of range"]);
    let text_coords =
        r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": ["116.3", "39.9"]}}"#;
    homes_fail("h.geojson", collection(&[text_coords]), "feature 0", &["coordinates", "numbers"]);
    let not_feature = r#"{"type": "Point", "coordinates": [116.3, 39.9]}"#;
    homes_fail("h.geojson", collection(&[not_feature]), "feature 0", &["not \"Feature\""]);
}

#[test]
fn geojson_whole_file_errors() {
    homes_fail("h.geojson", r#"{"type": "Point", "coordinates": [116.3, 39.9]}"#, "", &["bare Point geometry"]);
    homes_fail("h.geojson", r#"{"type": "GeometryCollection", "geometries": []}"#, "", &["bare GeometryCollection"]);
    homes_fail("h.geojson", "[1, 2]", "", &["array", "not a GeoJSON FeatureCollection"]);
    homes_fail("h.geojson", r#"{"type": "FeatureCollection"}"#, "", &["no \"features\" array"]);
    homes_fail("h.geojson", r#"{"name": "x"}"#, "", &["no \"type\""]);
    homes_fail("h.geojson", r#"{"type": "Topology"}"#, "", &["Topology"]);
}

#[test]
fn invalid_json_names_line_and_column() {
    let text = "{\n  \"type\": \"FeatureCollection\",\n  \"features\": [\n    {\"type\": \"Feature\",}\n  ]\n}\n";
    homes_fail("broken.geojson", text, "", &["invalid JSON", "line 4", "column"]);
    // A UTF-8 BOM in front of GeoJSON is skipped, and line numbers stay right.
    let text = "\u{feff}{\"type\":\n\"FeatureCollection\" \"features\": []}";
    homes_fail("broken.geojson", text, "", &["line 2 column 21"]);
}

// ---------------------------------------------------------------------------
// Detection by content

#[test]
fn format_is_detected_by_content_not_extension() {
    let geojson = collection(&[&point_feature(116.3, 39.9, r#"{"population": 3}"#)]);
    for name in ["points.txt", "points.csv", "points"] {
        let (h, r) = homes(name, &geojson);
        assert_eq!(r.format, InputFormat::GeoJson, "{name}");
        assert_eq!(h[0].population, 3.0);
    }
    // Leading BOM and whitespace before GeoJSON.
    let (_, r) = homes("p.csv", format!("\u{feff}\n  \t{geojson}"));
    assert_eq!(r.format, InputFormat::GeoJson);
    // CSV in a .geojson file.
    let (h, r) = homes("points.geojson", "lon,lat\n116.3,39.9\n");
    assert_eq!((r.format, h.len()), (InputFormat::Csv, 1));
}

#[test]
fn neither_csv_nor_geojson() {
    homes_fail("notes.txt", "hello world\nthis is not a table\n", "", &["neither CSV nor GeoJSON", "longitude"]);
    // A CSV without a latitude column says which column is missing and lists the ones found.
    homes_fail(
        "h.csv",
        "name,lon,population\na,116.3,5\n",
        "",
        &[
            "neither CSV nor GeoJSON",
            "no latitude column",
            "latitude, lat, 纬度, y",
            "columns found: name, lon, population",
        ],
    );
    homes_fail("book.xlsx", b"PK\x03\x04\x14\x00\x06\x00rest-of-zip", "", &["neither CSV nor GeoJSON", "xlsx"]);
    // 经度,纬度 in GBK: not UTF-8.
    homes_fail("gbk.csv", b"\xbe\xad\xb6\xc8,\xce\xb3\xb6\xc8\n116.3,39.9\n", "", &["not UTF-8", "GBK"]);
}

#[test]
fn empty_files_are_errors() {
    homes_fail("empty.csv", "", "", &["empty file"]);
    homes_fail("blank.csv", "\u{feff}  \n\r\n\t", "", &["empty file"]);
    facilities_fail("empty.geojson", "", "", &["empty file"]);
}

#[test]
fn missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nope.csv");
    let e = read_homes(&path, true).expect_err("missing file");
    assert!(matches!(e.kind(), ErrorKind::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("nope.csv"), "{e}");
}

// ---------------------------------------------------------------------------
// Bad rows

#[test]
fn bad_coordinates_in_csv() {
    let h = "id,lon,lat\nok,116.3,39.9\n";
    homes_fail("h.csv", format!("{h}a,,39.9\n"), "row 3", &["missing longitude", "column \"lon\""]);
    homes_fail("h.csv", format!("{h}a,116.3,  \n"), "row 3", &["missing latitude", "column \"lat\""]);
    homes_fail("h.csv", format!("{h}a,116.3E,39.9\n"), "row 3", &["longitude \"116.3E\" is not a number"]);
    homes_fail("h.csv", format!("{h}a,116.3,北纬39.9\n"), "row 3", &["latitude \"北纬39.9\" is not a number"]);
    homes_fail("h.csv", format!("{h}a,NaN,39.9\n"), "row 3", &["longitude NaN is not a finite number"]);
    homes_fail("h.csv", format!("{h}a,116.3,inf\n"), "row 3", &["latitude inf is not a finite number"]);
    homes_fail("h.csv", format!("{h}a,-180.5,39.9\n"), "row 3", &["longitude -180.5 is out of range [-180, 180]"]);
    homes_fail("h.csv", format!("{h}a,116.3,90.01\n"), "row 3", &["latitude 90.01 is out of range [-90, 90]"]);
    homes_fail("h.csv", format!("{h}a,39.9,116.3\n"), "row 3", &["out of range", "swapped"]);
    homes_fail("h.csv", format!("{h}a,440000,4420000\n"), "row 3", &["out of range", "projected"]);
    // The limits themselves are valid.
    let (p, _) = homes("h.csv", "lon,lat\n-180,90\n180,-90\n");
    assert_eq!(p.len(), 2);
}

#[test]
fn wrong_number_of_fields() {
    homes_fail("h.csv", "id,lon,lat\na,116.3,39.9\nb,116.3\n", "row 3", &["has 2 fields, the header has 3"]);
    homes_fail("h.csv", "id,lon,lat\na,116.3,39.9,extra\n", "row 2", &["has 4 fields, the header has 3"]);
}

#[test]
fn bad_population_and_capacity() {
    homes_fail("h.csv", "lon,lat,pop\n116.3,39.9,-5\n", "row 2", &["population -5 is negative"]);
    homes_fail("h.csv", "lon,lat,人口\n116.3,39.9,约300\n", "row 2", &["population \"约300\" is not a number", "人口"]);
    homes_fail("h.csv", "lon,lat,population\n116.3,39.9,inf\n", "row 2", &["population inf is not a finite number"]);
    let bad_pop = collection(&[&point_feature(116.3, 39.9, r#"{"population": -1}"#)]);
    homes_fail("h.geojson", bad_pop, "feature 0", &["population -1 is negative"]);
    let bad_pop = collection(&[&point_feature(116.3, 39.9, r#"{"population": "many"}"#)]);
    homes_fail("h.geojson", bad_pop, "feature 0", &["population \"many\" is not a number", "property \"population\""]);
    let bad_pop = collection(&[&point_feature(116.3, 39.9, r#"{"pop": true}"#)]);
    homes_fail("h.geojson", bad_pop, "feature 0", &["population is a boolean, not a number"]);

    facilities_fail(
        "f.csv",
        "lon,lat,category,capacity\n116.3,39.9,clinic,-2\n",
        "row 2",
        &["capacity -2 is negative"],
    );
    facilities_fail(
        "f.csv",
        "lon,lat,category,容量\n116.3,39.9,clinic,二十\n",
        "row 2",
        &["capacity \"二十\" is not a number"],
    );
    let text = collection(&[&point_feature(116.3, 39.9, r#"{"category": "clinic", "capacity": "-3"}"#)]);
    facilities_fail("f.geojson", &text, "feature 0", &["capacity -3 is negative"]);
}

#[test]
fn missing_and_unknown_categories() {
    facilities_fail("f.csv", "lon,lat,category\n116.3,39.9,\n", "row 2", &["missing category"]);
    facilities_fail(
        "f.csv",
        "lon,lat,category\n116.3,39.9,grocery\n116.3,39.9,面包店\n",
        "row 3",
        &["unknown category \"面包店\"", "grocery", "elder_canteen", "clinic", "childcare"],
    );
    let text = collection(&[&point_feature(116.3, 39.9, r#"{"name": "x"}"#)]);
    facilities_fail("f.geojson", &text, "feature 0", &["missing category"]);
    let text = collection(&[&point_feature(116.3, 39.9, r#"{"category": "bakery"}"#)]);
    facilities_fail("f.geojson", &text, "feature 0", &["unknown category \"bakery\"", "childcare"]);
    let text = collection(&[&point_feature(116.3, 39.9, r#"{"category": ["clinic"]}"#)]);
    facilities_fail("f.geojson", &text, "feature 0", &["category must be text"]);
    // No category column at all: a whole-file error.
    facilities_fail("f.csv", "lon,lat,name\n116.3,39.9,x\n", "", &["no category column", "category, 类别, type, 类型"]);
}

#[test]
fn chinese_category_labels_map_to_keys() {
    let cases = [
        ("托育", "childcare"),
        ("幼儿园", "childcare"),
        ("托育/幼儿园", "childcare"),
        ("诊所", "clinic"),
        ("卫生服务站", "clinic"),
        ("社区卫生服务中心", "clinic"),
        ("老年食堂", "elder_canteen"),
        ("助餐点", "elder_canteen"),
        ("超市", "grocery"),
        ("菜市场", "grocery"),
        ("便利店", "grocery"),
        ("便民商超", "grocery"),
        ("Supermarket", "grocery"),
        ("ELDER_CANTEEN", "elder_canteen"),
        // An AutoNavi type path resolves by its most specific part.
        ("购物服务;超级市场;超市", "grocery"),
        ("医疗保健服务|诊所", "clinic"),
    ];
    let mut text = String::from("category,lon,lat\n");
    for (label, _) in cases {
        text.push_str(&format!("\"{label}\",116.3,39.9\n"));
    }
    let (f, _) = facilities("f.csv", &text);
    let got: Vec<String> = f.iter().map(key).collect();
    let want: Vec<&str> = cases.iter().map(|c| c.1).collect();
    assert_eq!(got, want);
}

#[test]
fn the_first_bad_row_is_the_error_without_skipping() {
    let text = "lon,lat,pop\n116.3,39.9,1\n116.3,,1\n116.3,39.9,-1\n";
    homes_fail("h.csv", text, "row 3", &["missing latitude"]);
}

#[test]
fn skip_bad_rows_skips_and_counts() {
    let text = "id,lon,lat,pop\n\
                a,116.3,39.9,10\n\
                b,,39.9,10\n\
                c,116.3,39.9,-1\n\
                d,116.4,39.8\n\
                e,116.5,39.7,2\n\
                f,999,39.7,2\n";
    let f = input("h.csv", text);
    let (h, r) = read_homes(&f.path, true).expect("skipping bad rows");
    assert_eq!(h.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["a", "e"]);
    assert_eq!(r.rows, 6);
    assert_eq!(r.skipped_count, 4);
    let locations: Vec<&str> = r.skipped.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(locations, ["row 3", "row 4", "row 5", "row 7"]);
    assert!(r.skipped[0].1.contains("missing longitude"), "{:?}", r.skipped);
    assert!(r.skipped[1].1.contains("negative"), "{:?}", r.skipped);
    assert!(r.skipped[2].1.contains("has 3 fields"), "{:?}", r.skipped);
    assert!(r.skipped[3].1.contains("out of range"), "{:?}", r.skipped);

    let text = collection(&[
        &point_feature(116.3, 39.9, r#"{"category": "clinic"}"#),
        &point_feature(116.3, 39.9, r#"{"category": "bakery"}"#),
        r#"{"type": "Feature", "properties": {"category": "clinic"}, "geometry": null}"#,
        &point_feature(116.3, 39.9, r#"{"category": "超市"}"#),
    ]);
    let f = input("f.geojson", &text);
    let (p, r) = read_facilities(&f.path, &Taxonomy::builtin(), true).expect("skipping bad features");
    assert_eq!(p.iter().map(|p| p.row).collect::<Vec<_>>(), [0, 3]);
    assert_eq!((r.rows, r.skipped_count), (4, 2));
    assert_eq!(r.skipped.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), ["feature 1", "feature 2"]);
}

#[test]
fn skipped_messages_are_capped_but_all_counted() {
    let mut text = String::from("lon,lat\n");
    for i in 0..250 {
        text.push_str(if i % 2 == 0 { "116.3,39.9\n" } else { "116.3,x\n" });
    }
    let f = input("h.csv", &text);
    let (h, r) = read_homes(&f.path, true).expect("skipping");
    assert_eq!(h.len(), 125);
    assert_eq!((r.rows, r.skipped_count, r.skipped.len()), (250, 125, MAX_SKIPPED_MESSAGES));
    assert_eq!(r.skipped[0].0, "row 3");
    assert_eq!(r.skipped[MAX_SKIPPED_MESSAGES - 1].0, format!("row {}", 3 + 2 * (MAX_SKIPPED_MESSAGES - 1)));
}

#[test]
fn whole_file_errors_are_not_skipped() {
    let f = input("h.csv", "name,population\na,1\n");
    let e = read_homes(&f.path, true).expect_err("no coordinates columns");
    assert_eq!(bad_input(&e, &f.path).0, "");
    let f = input("f.csv", "lon,lat\n116.3,39.9\n");
    let e = read_facilities(&f.path, &Taxonomy::builtin(), true).expect_err("no category column");
    assert!(bad_input(&e, &f.path).1.contains("no category column"), "{e}");
}

// ---------------------------------------------------------------------------
// Fixtures

#[test]
fn fixture_amap_facilities() {
    let path = repo_file("tests/fixtures/points/haidian-facilities-amap.csv");
    let (f, r) = read_facilities(&path, &Taxonomy::builtin(), false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.format, r.rows, f.len()), (InputFormat::Csv, 8, 8));
    let keys: Vec<String> = f.iter().map(key).collect();
    assert_eq!(keys, ["grocery", "grocery", "clinic", "clinic", "childcare", "childcare", "elder_canteen", "grocery"]);
    assert_eq!(f[0].id, "B000A7BM4H");
    assert_eq!(f[0].name.as_deref(), Some("物美超市(北太平庄店)"));
    assert_eq!(f[0].lonlat, [116.36421, 39.96583]);
    assert_eq!(f[4].capacity, Some(180.0));
    assert_eq!(f[0].capacity, None);
}

#[test]
fn fixture_compounds_geojson() {
    let path = repo_file("tests/fixtures/points/haidian-compounds.geojson");
    let (h, r) = read_homes(&path, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.format, h.len()), (InputFormat::GeoJson, 4));
    assert_eq!(h.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["HD-JML", "HD-BUPT", "1001", "feature-3"]);
    assert_eq!(h.iter().map(|h| h.population).collect::<Vec<_>>(), [3200.0, 2100.0, 1500.0, 1.0]);
    // Rectangle 116.350..116.354 × 39.966..39.968.
    assert!(close(h[0].lonlat, [116.352, 39.967]), "{:?}", h[0].lonlat);
    // Two rectangles: area 2 at (116.357, 39.9605) and area 4 at (116.361, 39.961).
    let want = [(2.0 * 116.357 + 4.0 * 116.361) / 6.0, (2.0 * 39.9605 + 4.0 * 39.961) / 6.0];
    assert!(close(h[1].lonlat, want), "{:?} vs {want:?}", h[1].lonlat);
    assert_eq!(h[2].lonlat, [116.3665, 39.9628]);
}

#[test]
fn fixture_population_grid_tsv() {
    let path = repo_file("tests/fixtures/points/nanjing-population-grid.tsv");
    let (h, r) = read_homes(&path, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.format, h.len()), (InputFormat::Csv, 12));
    assert_eq!((h[0].id.as_str(), h[0].lonlat, h[0].population), ("NJ-001", [118.775, 32.035], 187.0));
    assert_eq!((h[6].id.as_str(), h[6].population), ("NJ-007", 1.0));
    assert_eq!(h[11].row, 13);
}
