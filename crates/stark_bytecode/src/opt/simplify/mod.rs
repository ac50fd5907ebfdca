//! Per-function clean-up, repeated until nothing changes:
//!
//! 1. Within each basic block: copy propagation (a plain read of `t` after `copy t, s`
//!    reads `s`), Int constants folded into immediate forms (`imul r, x, 2` for
//!    `load_int k, 2; imul r, x, k`), and common subexpressions (a second `iadd r, i, j`
//!    becomes a copy of the first result). Only `Role::Read` operands are rewritten, never a
//!    register whose ownership an instruction takes or releases.
//! 2. Result forwarding: `op t, …; copy d, t` with `t` dead afterwards becomes `op d, …`.
//! 3. Dead code: copies, constant loads and non-failing arithmetic whose result is never
//!    read, and jumps to the next instruction.

use super::{block_starts, operands, registers_only, uses_defs, Liveness, Role};
use crate::instr::{CmpOp, Function, Instr, Reg};
use std::collections::HashMap;

mod constants;
mod dead;
mod fuse;
mod local;

use constants::*;
use dead::*;
use fuse::*;
use local::*;

/// The most memory one function's [`Liveness`] may take.
const MAX_LIVENESS_BYTES: u64 = 64 << 20;

pub(crate) fn simplify(f: &mut Function) {
    // Liveness takes a bit per register per instruction, so a huge function (100,000
    // `let`s in one body) would need gigabytes: such a function stays unoptimised.
    let live_bytes = (f.code.len() as u64 + 1) * (f.num_regs as u64).div_ceil(64) * 8;
    if live_bytes > MAX_LIVENESS_BYTES {
        return;
    }
    specialise_natives(f);
    for _ in 0..8 {
        let mut changed = local_pass(f);
        changed |= forward_results(f);
        changed |= remove_dead(f);
        changed |= split_constants(f);
        changed |= hoist_constants(f);
        if !changed {
            break;
        }
    }
    if fuse(f) {
        remove_dead(f);
    }
    if fuse_field_updates(f) {
        remove_dead(f);
    }
    if fuse_field_reads(f) {
        remove_dead(f);
    }
    crate::rc_opt::remove_pairs_after_fusion(f);
}

/// Instructions that may sit between a field's read and the `fmul_add` that uses it when
/// the two are fused into a field update: they write only their destination register and
/// store nothing to the heap, so the field still holds what was read. (One that fails
/// fails before the fused update as before the original store.)
fn stores_nothing(instr: &Instr) -> bool {
    registers_only(instr) && !instr.facts().writes_heap
}

#[cfg(test)]
mod tests {
    use super::*;
    use stark_syntax::ast::ParamMode;

    fn function(params: usize, num_regs: u16, code: Vec<Instr>) -> Function {
        crate::test_util::function("f", ParamMode::Owned, params, num_regs, code)
    }

    #[test]
    fn a_copied_constant_becomes_an_immediate_and_the_copies_go() {
        // r1 = 5; r2 = r1; r3 = r0 + r2; return r3
        let mut f = function(
            1,
            4,
            vec![
                Instr::LoadInt { dst: 1, value: 5 },
                Instr::Copy { dst: 2, src: 1 },
                Instr::IAdd { dst: 3, a: 0, b: 2 },
                Instr::Ret { src: 3 },
            ],
        );
        simplify(&mut f);
        assert_eq!(
            f.code,
            vec![
                Instr::IAddImm {
                    dst: 3,
                    a: 0,
                    imm: 5
                },
                Instr::Ret { src: 3 }
            ]
        );
        assert_eq!(f.spans.len(), f.code.len());
    }

    #[test]
    fn a_repeated_expression_is_computed_once() {
        // r1 = r0 + r0; r2 = r0 + r0; r3 = r1 * r2 (in one block: the second add is the first)
        let mut f = function(
            1,
            4,
            vec![
                Instr::IAdd { dst: 1, a: 0, b: 0 },
                Instr::IAdd { dst: 2, a: 0, b: 0 },
                Instr::IMul { dst: 3, a: 1, b: 2 },
                Instr::Ret { src: 3 },
            ],
        );
        simplify(&mut f);
        let adds = f
            .code
            .iter()
            .filter(|i| matches!(i, Instr::IAdd { .. }))
            .count();
        assert_eq!(adds, 1, "{:?}", f.code);
        assert!(
            matches!(f.code[1], Instr::IMul { a, b, .. } if a == b),
            "{:?}",
            f.code
        );
    }

    #[test]
    fn a_field_multiply_add_store_is_fused() {
        // o.0 = o.0 + a * b, for a Float field: one field_fmul_add.
        let mut f = function(
            3,
            5,
            vec![
                Instr::GetField {
                    dst: 3,
                    obj: 0,
                    field: 0,
                },
                Instr::FMulAdd {
                    dst: 4,
                    acc: 3,
                    a: 1,
                    b: 2,
                },
                Instr::SetField {
                    obj: 0,
                    field: 0,
                    src: 4,
                },
                Instr::RetNone,
            ],
        );
        simplify(&mut f);
        assert_eq!(
            f.code,
            vec![
                Instr::FieldFMulAdd {
                    obj: 0,
                    field: 0,
                    a: 1,
                    b: 2
                },
                Instr::RetNone
            ]
        );
    }

    #[test]
    fn an_incref_drop_pair_around_nothing_is_removed_but_not_around_a_release() {
        let pair = |between: Instr| {
            let mut f = function(
                2,
                3,
                vec![
                    Instr::Incref { reg: 0 },
                    between,
                    Instr::Drop { reg: 0 },
                    Instr::RetNone,
                ],
            );
            crate::rc_opt::remove_pairs_after_fusion(&mut f);
            f.code.iter().any(|i| matches!(i, Instr::Incref { .. }))
        };
        // Arithmetic releases nothing: the increment protected nothing.
        assert!(!pair(Instr::IAdd { dst: 2, a: 1, b: 1 }));
        // A store may release the field's old value, which may be the object itself.
        assert!(pair(Instr::SetField {
            obj: 1,
            field: 0,
            src: 2
        }));
    }
}
