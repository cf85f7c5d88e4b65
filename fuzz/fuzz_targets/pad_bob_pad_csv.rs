#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| assay_fuzz::pad_bob_pad_csv(data));
