//! `cargo +nightly fuzz run parse`: the front end must never panic, hang or overflow the
//! stack on any UTF-8 input.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let (program, diags) = stark_syntax::parse(source);
        for diag in &diags {
            assert!(diag.primary.span.start <= diag.primary.span.end);
            assert!(diag.primary.span.end as usize <= source.len());
        }
        let _ = program.expr_count;
    }
});
