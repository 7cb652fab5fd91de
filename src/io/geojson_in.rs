//! Streaming GeoJSON input: the features of a FeatureCollection are handed
//! over one at a time as they are parsed, so memory stays at the file's bytes
//! plus one feature (a `serde_json::Value` of a whole collection takes five to
//! ten times the file's size).
//!
//! `O(file size)` time; members other than `features` are kept (they are
//! small: `type`, `crs`, `name`, `bbox`, or a lone Feature's own members).

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::Error;

/// What the top level of a GeoJSON document was.
#[derive(Debug, Clone, PartialEq)]
pub enum TopLevel {
    /// A FeatureCollection: its features went to the callback.
    FeatureCollection {
        /// How many.
        features: usize,
    },
    /// A lone Feature: it went to the callback as feature 0.
    Feature,
    /// Anything else: the top-level object's `type` (`None` when it has none),
    /// or the JSON kind when the top level is not an object. Nothing went to the callback.
    Other {
        /// `Some("Point")`, `Some("Topology")`, or `None`.
        type_name: Option<String>,
        /// `an object`, `an array`, `a string`, ...
        json_kind: &'static str,
        /// The object has a `features` member that is not an array.
        features_not_array: bool,
    },
}

/// Parses `body` (UTF-8 JSON) and calls `each(index, feature)` for every
/// feature of a FeatureCollection, or once for a lone Feature. An error
/// returned by `each` stops the parse and is returned as is; invalid JSON is
/// `Err(message)` via `invalid` (serde_json's message with line and column).
pub fn for_each_feature(
    body: &[u8],
    invalid: impl Fn(String) -> Error,
    mut each: impl FnMut(usize, Value) -> Result<(), Error>,
) -> Result<TopLevel, Error> {
    let stop: RefCell<Option<Error>> = RefCell::new(None);
    let callback = RefCell::new(&mut each as &mut dyn FnMut(usize, Value) -> Result<(), Error>);
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed =
        TopVisitor { stop: &stop, each: &callback }.deserialize(&mut de).and_then(|top| de.end().map(|()| top));
    if let Some(e) = stop.into_inner() {
        return Err(e);
    }
    let (top, lone) = parsed.map_err(|e| invalid(e.to_string()))?;
    if let Some(feature) = lone {
        let f = callback.into_inner();
        f(0, Value::Object(feature))?;
    }
    Ok(top)
}

type Callback<'a> = RefCell<&'a mut dyn FnMut(usize, Value) -> Result<(), Error>>;

struct TopVisitor<'a, 'b> {
    stop: &'a RefCell<Option<Error>>,
    each: &'a Callback<'b>,
}

impl<'de> DeserializeSeed<'de> for TopVisitor<'_, '_> {
    type Value = (TopLevel, Option<Map<String, Value>>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopVisitor<'_, '_> {
    type Value = (TopLevel, Option<Map<String, Value>>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Map::new();
        let mut features: Option<usize> = None;
        let mut features_not_array = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" {
                match map.next_value_seed(FeaturesSeed { stop: self.stop, each: self.each })? {
                    Some(n) => features = Some(n),
                    None => features_not_array = true,
                }
            } else {
                let v: Value = map.next_value()?;
                members.insert(key, v);
            }
        }
        let type_name = members.get("type").and_then(Value::as_str).map(str::to_string);
        Ok(match (type_name.as_deref(), features) {
            (Some("FeatureCollection"), Some(n)) => (TopLevel::FeatureCollection { features: n }, None),
            (Some("Feature"), None) => (TopLevel::Feature, Some(members)),
            _ => (TopLevel::Other { type_name, json_kind: "an object", features_not_array }, None),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok((other("an array"), None))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok((other("a string"), None))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok((other("a boolean"), None))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok((other("a number"), None))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok((other("a number"), None))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok((other("a number"), None))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok((other("null"), None))
    }
}

fn other(json_kind: &'static str) -> TopLevel {
    TopLevel::Other { type_name: None, json_kind, features_not_array: false }
}

/// The `features` member: `Some(count)` after handing each element over, `None` when not an array.
struct FeaturesSeed<'a, 'b> {
    stop: &'a RefCell<Option<Error>>,
    each: &'a Callback<'b>,
}

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut i = 0;
        while let Some(feature) = seq.next_element::<Value>()? {
            let mut each = self.each.borrow_mut();
            if let Err(e) = (*each)(i, feature) {
                *self.stop.borrow_mut() = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
            i += 1;
        }
        Ok(Some(i))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn collect(body: &str) -> Result<(TopLevel, Vec<(usize, Value)>), Error> {
        let mut seen = Vec::new();
        let top = for_each_feature(
            body.as_bytes(),
            |m| Error::bad_input(Path::new("t.geojson"), "", m),
            |i, f| {
                seen.push((i, f));
                Ok(())
            },
        )?;
        Ok((top, seen))
    }

    #[test]
    fn collections_stream_their_features_in_order_whatever_the_member_order() {
        let (top, seen) =
            collect(r#"{"features":[{"type":"Feature","id":1},{"type":"Feature","id":2}],"type":"FeatureCollection"}"#)
                .unwrap();
        assert_eq!(top, TopLevel::FeatureCollection { features: 2 });
        assert_eq!(seen.iter().map(|(i, f)| (*i, f["id"].as_i64().unwrap())).collect::<Vec<_>>(), [(0, 1), (1, 2)]);
    }

    #[test]
    fn a_lone_feature_is_feature_zero() {
        let (top, seen) = collect(r#"{"type":"Feature","geometry":null,"properties":{"a":1}}"#).unwrap();
        assert_eq!(top, TopLevel::Feature);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].1["properties"]["a"], 1);
    }

    #[test]
    fn other_documents_are_described_not_streamed() {
        let (top, seen) = collect(r#"{"type":"Point","coordinates":[1,2]}"#).unwrap();
        assert!(seen.is_empty());
        assert_eq!(
            top,
            TopLevel::Other { type_name: Some("Point".into()), json_kind: "an object", features_not_array: false }
        );
        let (top, _) = collect("[1,2]").unwrap();
        assert!(matches!(top, TopLevel::Other { json_kind: "an array", .. }));
        let (top, _) = collect(r#"{"type":"FeatureCollection","features":{}}"#).unwrap();
        assert!(matches!(top, TopLevel::Other { features_not_array: true, .. }));
    }

    #[test]
    fn invalid_json_and_callback_errors_come_back() {
        let e = collect(r#"{"type":"FeatureCollection","features":[{"type":"Feature"},"#).unwrap_err().to_string();
        assert!(e.contains("t.geojson") && e.contains("line 1"), "{e}");
        let e = for_each_feature(
            br#"{"type":"FeatureCollection","features":[{},{}]}"#,
            |m| Error::bad_input(Path::new("t.geojson"), "", m),
            |i, _| if i == 1 { Err(Error::bad_input(Path::new("t.geojson"), "feature 1", "bad")) } else { Ok(()) },
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "t.geojson: feature 1: bad");
        let e = collect(r#"{"type":"Feature"} trailing"#).unwrap_err().to_string();
        assert!(e.contains("trailing"), "{e}");
    }
}
