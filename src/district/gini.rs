//! Gini coefficient (being written).
