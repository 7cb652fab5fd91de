//! Fuzz target `wire`: see `lifecircle_fuzz::wire` for what it runs and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lifecircle_fuzz::wire(data));
