//! Fuzz target `tiers_toml`: see `lifecircle_fuzz::tiers_toml` for what it runs and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lifecircle_fuzz::tiers_toml(data));
