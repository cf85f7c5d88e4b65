#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| assay_fuzz::assess_case_toml(data));
