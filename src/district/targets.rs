//! Policy targets (being written).
