#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| assay_fuzz::core_retest_records(data));
