//! Comparing two runs (being written).
