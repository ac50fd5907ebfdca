//! `cargo +nightly fuzz run parse` (or `RUSTC_BOOTSTRAP=1 cargo fuzz run parse` on stable):
//! the front end must never panic, hang or overflow the stack on any UTF-8 input, and a
//! program it accepts must compile (lowering, RC passes, optimiser) to bytecode the VM's
//! verifier accepts. Seed it with the UI programs: `cp ../tests/ui/*/*.stark corpus/parse/`.

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
        if diags.is_empty() {
            let (checked, diags) = stark_check::check(&program);
            if diags.is_empty() {
                if let Ok(module) = stark_lower::compile(&program, &checked, &[source]) {
                    if let Err(e) = stark_vm::verify(&module) {
                        panic!("compiled bytecode fails verification: {e}");
                    }
                }
            }
        }
    }
});
