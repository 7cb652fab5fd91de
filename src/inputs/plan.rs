//! A plan: facilities to add (a file, read as `--facilities` in `add` mode)
//! and to remove (by the ids written in `facilities.geojson`), applied to a
//! run's facilities right after the user's own are merged. Removing takes
//! `O(F log R)` for `F` facilities and `R` ids.

use std::collections::BTreeSet;

use super::{InputReport, MergeMode, PointsInput, merge_facilities};
use crate::error::{Error, Result};
use crate::ids::OsmType;
use crate::osm::Facility;
use crate::taxonomy::Taxonomy;

/// Planned changes to the facilities.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Facilities to add (always merged in `add` mode, whatever `mode` says).
    pub add: Option<PointsInput>,
    /// Ids of facilities to remove, as written in `facilities.geojson`.
    pub remove: Vec<String>,
}

impl Plan {
    /// Applies the plan to the facilities of a run (after OSM's and the user's are merged):
    /// removes every facility whose id is listed, then adds the file's facilities after the
    /// user's own (as if appended to the `--facilities` file); returns the added file's report
    /// (its duplicate check covers the added file only).
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidParameter`] naming `--remove-facilities` and the id when an id
    /// matches no facility; the reader's errors for the added file.
    pub fn apply(
        &self,
        facilities: &mut Vec<Facility>,
        taxonomy: &Taxonomy,
        skip_bad_rows: bool,
    ) -> Result<Option<InputReport>> {
        if !self.remove.is_empty() {
            let ids: Vec<String> = facilities.iter().map(Facility::id).collect();
            let known: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
            if let Some(id) = self.remove.iter().find(|id| !known.contains(id.as_str())) {
                return Err(Error::parameter(
                    "--remove-facilities",
                    format!(
                        "unknown facility id {id:?}: no facility of the base run has it (see its facilities.geojson)"
                    ),
                ));
            }
            let remove: BTreeSet<&str> = self.remove.iter().map(String::as_str).collect();
            let mut keep = ids.iter().map(|id| !remove.contains(id.as_str()));
            facilities.retain(|_| keep.next().unwrap_or(true));
        }
        match &self.add {
            Some(input) => {
                let input = PointsInput { mode: MergeMode::Add, ..input.clone() };
                let mut added = Vec::new();
                let report = merge_facilities(&mut added, &input, taxonomy, skip_bad_rows)?;
                // Numbered after the user's own facilities, so they sort after them within a category.
                let next = facilities.iter().filter(|f| f.osm.kind == OsmType::Other).map(|f| f.osm.id + 1).max();
                for f in &mut added {
                    f.osm.id += next.unwrap_or(0);
                }
                facilities.extend(added);
                facilities.sort_by_key(|f| (f.category, f.osm));
                Ok(Some(report))
            }
            None => Ok(None),
        }
    }

    /// A one-line description: `add FILE; remove ID, ID` (`no change` for an empty plan).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(add) = &self.add {
            parts.push(format!("add {}", add.path.display()));
        }
        if !self.remove.is_empty() {
            parts.push(format!("remove {}", self.remove.join(", ")));
        }
        if parts.is_empty() { "no change".to_string() } else { parts.join("; ") }
    }
}
