//! User point file tests (written next).
