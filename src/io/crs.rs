//! Chinese coordinate systems (GCJ-02, BD-09) to WGS-84 (being written).
