//! Points from a table in memory (the Python package's GeoDataFrames):
//! read as the same rows of a CSV or GeoJSON file read, value for value, with
//! the same checks and messages naming the row and column.

use std::path::Path;

use lifecircle::Taxonomy;
use lifecircle::io::points::{
    Cell, PointsTable, TableColumn, TableGeometry, field_columns, read_facilities, read_facilities_table, read_homes,
    read_homes_table,
};

use crate::common::repo_file;

/// A CSV file's rows as a table: text cells, positions from `lon`/`lat` columns (by name).
fn csv_as_table(path: &Path, lon: &str, lat: &str) -> PointsTable {
    let mut reader = csv::Reader::from_path(path).expect("fixture");
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    let (x, y) = (
        header.iter().position(|h| h == lon).expect("lon column"),
        header.iter().position(|h| h == lat).expect("lat column"),
    );
    let mut table = PointsTable {
        geometry: Vec::new(),
        columns: header.iter().map(|h| TableColumn { name: h.clone(), values: Vec::new() }).collect(),
    };
    for record in reader.records() {
        let record = record.expect("record");
        let pos = [record[x].parse().expect("lon"), record[y].parse().expect("lat")];
        table.geometry.push(TableGeometry::Point(pos));
        for (c, v) in table.columns.iter_mut().zip(record.iter()) {
            c.values.push(if v.is_empty() { Cell::Missing } else { Cell::Text(v.to_string()) });
        }
    }
    table
}

fn message(e: lifecircle::Error) -> String {
    e.to_string()
}

#[test]
fn facility_tables_read_as_their_csv_files() {
    let taxonomy = Taxonomy::builtin();
    for (file, lon, lat) in [
        ("beijing-facilities-add.csv", "lon", "lat"),
        ("beijing-groceries-replace.csv", "lon", "lat"),
        ("equator-clinics-capacity.csv", "lon", "lat"),
        ("nanjing-elder-canteens.csv", "经度", "纬度"),
    ] {
        let path = repo_file(&format!("tests/fixtures/userdata/{file}"));
        let (want, want_report) = read_facilities(&path, &taxonomy, false).expect(file);
        let table = csv_as_table(&path, lon, lat);
        let (got, report) = read_facilities_table(Path::new("t"), &table, &taxonomy, false).expect(file);
        assert_eq!(got.len(), want.len(), "{file}");
        assert_eq!(report.rows, want_report.rows, "{file}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.row, i, "{file}: rows are 0-based positions");
            assert_eq!(g.category, w.category, "{file} row {i}");
            assert_eq!(g.name, w.name, "{file} row {i}");
            assert_eq!(g.capacity, w.capacity, "{file} row {i}");
            assert_eq!(g.lonlat, w.lonlat, "{file} row {i}");
            // Files without an id column name rows by line; tables by position.
            if table.columns.iter().any(|c| c.name == "id") {
                assert_eq!(g.id, w.id, "{file} row {i}");
            } else {
                assert_eq!(g.id, format!("row-{i}"), "{file}");
            }
        }
    }
}

#[test]
fn home_tables_read_as_their_files_with_numbers_as_numbers() {
    let path = repo_file("tests/fixtures/userdata/equator-homes-population.csv");
    let (want, _) = read_homes(&path, false).expect("homes");
    let mut table = csv_as_table(&path, "lon", "lat");
    // Populations as numbers (a pandas float column), ids as text.
    let pop = table.columns.iter_mut().find(|c| c.name == "population").expect("population");
    for v in &mut pop.values {
        if let Cell::Text(s) = v {
            *v = Cell::Number(s.parse().expect("number"));
        }
    }
    let (got, _) = read_homes_table(Path::new("t"), &table, false).expect("table");
    let strip = |h: &lifecircle::io::points::UserHome| (h.id.clone(), h.population, h.lonlat);
    assert_eq!(got.iter().map(strip).collect::<Vec<_>>(), want.iter().map(strip).collect::<Vec<_>>());
}

#[test]
fn polygons_are_taken_at_their_centroid_as_geojson_polygons_are() {
    let dir = tempfile::tempdir().expect("tmp");
    let square = [[116.350, 39.960], [116.352, 39.960], [116.352, 39.962], [116.350, 39.962], [116.350, 39.960]];
    let hole = [[116.3505, 39.9605], [116.3508, 39.9605], [116.3508, 39.9608], [116.3505, 39.9605]];
    let json = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"population": 7},
         "geometry": {"type": "Polygon", "coordinates": [square, hole]}},
        {"type": "Feature", "properties": {"population": 3},
         "geometry": {"type": "MultiPolygon", "coordinates": [[square], [hole]]}},
    ]});
    let file = dir.path().join("homes.geojson");
    std::fs::write(&file, json.to_string()).expect("write");
    let (want, _) = read_homes(&file, false).expect("geojson");
    let rings = vec![square.to_vec(), hole.to_vec()];
    let table = PointsTable {
        geometry: vec![
            TableGeometry::Polygon(rings),
            TableGeometry::MultiPolygon(vec![vec![square.to_vec()], vec![hole.to_vec()]]),
        ],
        columns: vec![TableColumn { name: "pop".into(), values: vec![Cell::Integer(7), Cell::Integer(3)] }],
    };
    let (got, _) = read_homes_table(Path::new("t"), &table, false).expect("table");
    assert_eq!(got.len(), 2);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.lonlat, w.lonlat);
        assert_eq!(g.population, w.population);
    }
    // The centroid of the holed square lies off its centre, towards the far corner.
    assert!(got[0].lonlat[0] > 116.351 && got[0].lonlat[1] > 39.961);
}

#[test]
fn bad_rows_are_named_by_position_and_column_or_skipped() {
    let taxonomy = Taxonomy::builtin();
    let name = Path::new("facilities (GeoDataFrame)");
    let table = |geometry: Vec<TableGeometry>, category: Vec<Cell>, capacity: Vec<Cell>| PointsTable {
        geometry,
        columns: vec![
            TableColumn { name: "category".into(), values: category },
            TableColumn { name: "capacity".into(), values: capacity },
            TableColumn { name: "notes".into(), values: Vec::new() },
        ],
    };
    let ok = TableGeometry::Point([116.35, 39.96]);
    let grocery = || Cell::Text("grocery".into());
    let cases = [
        (
            table(vec![ok.clone(), ok.clone()], vec![grocery(), Cell::Text("bakery".into())], vec![Cell::Missing; 2]),
            "row 1",
            "unknown category \"bakery\"",
        ),
        (table(vec![TableGeometry::Missing], vec![grocery()], vec![Cell::Missing]), "row 0", "has no geometry"),
        (
            table(vec![TableGeometry::Other("LineString".into())], vec![grocery()], vec![Cell::Missing]),
            "row 0",
            "geometry type LineString is not supported",
        ),
        (table(vec![TableGeometry::Point([200.0, 39.9])], vec![grocery()], vec![Cell::Missing]), "row 0", "longitude"),
        (
            table(vec![ok.clone()], vec![grocery()], vec![Cell::Text("lots".into())]),
            "row 0",
            "capacity \"lots\" is not a number (column \"capacity\")",
        ),
        (
            table(vec![ok.clone()], vec![grocery()], vec![Cell::Other("a boolean".into())]),
            "row 0",
            "capacity is a boolean, not a number",
        ),
        (table(vec![ok.clone()], vec![grocery()], vec![Cell::Number(-1.0)]), "row 0", "capacity -1 is negative"),
        (table(vec![ok.clone()], vec![Cell::Missing], vec![Cell::Missing]), "row 0", "missing category"),
    ];
    for (t, location, problem) in cases {
        let e = message(read_facilities_table(name, &t, &taxonomy, false).expect_err(problem));
        assert!(e.contains("facilities (GeoDataFrame)"), "{e}");
        assert!(e.contains(location), "{problem}: {e}");
        assert!(e.contains(problem), "{problem}: {e}");
        let (good, report) = read_facilities_table(name, &t, &taxonomy, true).expect("skipped");
        assert_eq!(report.skipped_count, 1, "{problem}");
        assert_eq!(good.len(), t.geometry.len() - 1, "{problem}");
        assert_eq!(report.skipped[0].0, location);
    }
}

#[test]
fn whole_table_problems_are_errors_even_when_skipping() {
    let taxonomy = Taxonomy::builtin();
    let name = Path::new("t");
    let short = PointsTable {
        geometry: vec![TableGeometry::Point([0.0, 0.0]); 2],
        columns: vec![TableColumn { name: "category".into(), values: vec![Cell::Text("clinic".into())] }],
    };
    let e = message(read_facilities_table(name, &short, &taxonomy, true).expect_err("short column"));
    assert!(e.contains("column \"category\" has 1 values for 2 geometries"), "{e}");
    let no_category = PointsTable {
        geometry: vec![TableGeometry::Point([0.0, 0.0])],
        columns: vec![TableColumn { name: "kind".into(), values: Vec::new() }],
    };
    let e = message(read_facilities_table(name, &no_category, &taxonomy, true).expect_err("no category"));
    assert!(e.contains("no category column") && e.contains("columns found: kind"), "{e}");
    // Longitude/latitude columns are ignored: the geometry places a row.
    let lonlat = PointsTable {
        geometry: vec![TableGeometry::Point([116.35, 39.96])],
        columns: vec![
            TableColumn { name: "lon".into(), values: vec![Cell::Text("junk".into())] },
            TableColumn { name: "category".into(), values: vec![Cell::Text("clinic".into())] },
        ],
    };
    let (got, _) = read_facilities_table(name, &lonlat, &taxonomy, false).expect("lon column ignored");
    assert_eq!(got[0].lonlat, [116.35, 39.96]);
}

#[test]
fn only_columns_naming_a_field_are_needed() {
    let names = ["geometry_x", "名称", "lon", "Category", "pop", "extra", "ID"];
    // name, category, population, id; not lon (the geometry places a row) nor the others.
    assert_eq!(field_columns(names.into_iter()), vec![1, 3, 4, 6]);
}

#[test]
fn empty_tables_and_empty_homes_are_reported() {
    let empty = PointsTable::default();
    let (homes, report) = read_homes_table(Path::new("t"), &empty, false).expect("empty is no error here");
    assert!(homes.is_empty());
    assert_eq!(report.rows, 0);
    assert_eq!(report.format, lifecircle::io::points::InputFormat::Table);
}
