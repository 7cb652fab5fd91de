//! Readers for user-supplied points: facilities and homes from CSV or GeoJSON (being written).
