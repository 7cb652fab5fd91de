//! Fuzz target `pbf`: see `lifecircle_fuzz::pbf` for what it runs and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lifecircle_fuzz::pbf(data));
