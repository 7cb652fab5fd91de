//! Fuzz target `targets_toml`: see `lifecircle_fuzz::targets_toml` for what it runs and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lifecircle_fuzz::targets_toml(data));
