//! The instruction table against the VM: the verifier checks every register operand the
//! table declares.

use super::*;
use crate::verify::verify_module;
use stark_bytecode::instr::Role;

const FRAME: u16 = 12;

/// `instr` made verifiable apart from its registers: ranges of one operand (a pair for
/// `new_map`), a callee and a struct of that arity, a non-zero divisor.
fn with_operands(instr: Instr) -> Instr {
    match instr {
        Instr::Call { dst, args, .. } => Instr::Call {
            dst,
            func: 1,
            args,
            argc: 1,
        },
        Instr::NewStruct {
            dst, args, stack, ..
        } => Instr::NewStruct {
            dst,
            ty: USER,
            args,
            argc: 1,
            stack,
        },
        Instr::NewList { dst, args, .. } => Instr::NewList { dst, args, argc: 1 },
        Instr::NewMap { dst, args, .. } => Instr::NewMap { dst, args, argc: 1 },
        Instr::CallNative {
            dst, native, args, ..
        } => Instr::CallNative {
            dst,
            native,
            args,
            argc: 1,
        },
        Instr::IDivImm { dst, a, .. } => Instr::IDivImm { dst, a, imm: 1 },
        Instr::IModImm { dst, a, .. } => Instr::IModImm { dst, a, imm: 1 },
        other => other,
    }
}

/// Register operand `k` (in the table's order) of `instr` moved to the end of the frame,
/// so that it (or its range) ends one register past it; the others at distinct registers
/// inside.
fn place(instr: Instr, outside: Option<usize>) -> Instr {
    let (mut k, mut next) = (0usize, 0u16);
    instr.map_operands(|_, role| {
        let n = match role {
            Role::Range(n) => n as u16,
            _ => 1,
        };
        let r = if outside == Some(k) {
            FRAME + 1 - n
        } else {
            next
        };
        next += n;
        k += 1;
        r
    })
}

fn verify_one(instr: Instr) -> Result<(), String> {
    let callee = func("callee", &[OWNED], 1, vec![Instr::RetNone]);
    let main = func("main", &[], FRAME, vec![instr, Instr::RetNone]);
    verify_module(&module(
        vec![main, callee],
        structs(&[("S", &["x"], None)]),
        &["s"],
    ))
}

#[test]
fn the_verifier_checks_every_register_operand_the_table_declares() {
    for instr in Instr::every_kind().into_iter().map(with_operands) {
        let inside = place(instr, None);
        assert_eq!(verify_one(inside), Ok(()), "{inside:?}");
        let mut count = 0;
        instr.visit_operands(|_, _| count += 1);
        for k in 0..count {
            let bad = place(instr, Some(k));
            let err = verify_one(bad).expect_err(&format!("{bad:?} verified"));
            assert!(err.contains("outside a frame"), "{bad:?}: {err}");
        }
    }
}

#[test]
fn new_map_reads_two_registers_per_pair() {
    // r10, r11 fit a frame of 12; r11, r12 do not.
    for (args, ok) in [(10, true), (11, false)] {
        let instr = Instr::NewMap {
            dst: 0,
            args,
            argc: 1,
        };
        assert_eq!(verify_one(instr).is_ok(), ok, "{instr:?}");
        assert!(instr.touches(args + 1));
    }
}
