//! CSV of a layer's attributes (no geometry), with a `.csvt` sidecar naming
//! each column's type so GDAL and QGIS read numbers as numbers and booleans
//! as booleans: `"String"`, `"Integer64"`, `"Real"`, `"Integer(Boolean)"`.
//!
//! A header line, then one line per row in the layer's order; text is quoted
//! when it holds a comma, a quote or a line break; nulls are empty fields;
//! numbers as in the GeoJSON (shortest round-trip form); booleans `true` /
//! `false`. `O(rows × columns)`.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_schema::DataType;

use crate::error::Result;
use crate::io::atomic::{AtomicFile, FinishedFile, write_all};
use crate::output::layer::{Layer, chunks};

/// A CSV field, quoted when it holds a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// The `.csvt` line of `layer`: one quoted GDAL type per column.
pub fn csvt(layer: &dyn Layer) -> String {
    let types: Vec<&str> = layer
        .schema()
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => "\"String\"",
            DataType::Float64 => "\"Real\"",
            DataType::UInt32 | DataType::UInt64 => "\"Integer64\"",
            DataType::Boolean => "\"Integer(Boolean)\"",
            other => unreachable!("layers have no {other} column"),
        })
        .collect();
    format!("{}\n", types.join(","))
}

/// Writes `layer`'s attributes as CSV into `file` and their types into `csvt_file`.
pub fn write_csv(layer: &dyn Layer, mut file: AtomicFile, mut csvt_file: AtomicFile) -> Result<Vec<FinishedFile>> {
    let schema = layer.schema();
    let header: Vec<String> = schema.fields().iter().map(|f| csv_field(f.name())).collect();
    write_all(&mut file, format!("{}\n", header.join(",")).as_bytes())?;
    let mut line = String::new();
    for rows in chunks(layer.len()) {
        let chunk = layer.chunk(rows);
        for row in 0..chunk.attributes.num_rows() {
            line.clear();
            for (k, column) in chunk.attributes.columns().iter().enumerate() {
                if k > 0 {
                    line.push(',');
                }
                cell(&mut line, column.as_ref(), row);
            }
            line.push('\n');
            write_all(&mut file, line.as_bytes())?;
        }
    }
    write_all(&mut csvt_file, csvt(layer).as_bytes())?;
    Ok(vec![file.finish()?, csvt_file.finish()?])
}

fn cell(line: &mut String, column: &dyn Array, row: usize) {
    if column.is_null(row) {
        return;
    }
    match column.data_type() {
        DataType::Utf8 => line.push_str(&csv_field(column.as_string::<i32>().value(row))),
        DataType::Float64 => {
            line.push_str(&serde_json::to_string(&column.as_primitive::<Float64Type>().value(row)).expect("a number"))
        }
        DataType::UInt32 => line.push_str(&column.as_primitive::<UInt32Type>().value(row).to_string()),
        DataType::UInt64 => line.push_str(&column.as_primitive::<UInt64Type>().value(row).to_string()),
        DataType::Boolean => line.push_str(if column.as_boolean().value(row) { "true" } else { "false" }),
        other => unreachable!("layers have no {other} column"),
    }
}
