//! Scalar optimisations after RC insertion and `rc_opt`: inlining of tiny leaf functions
//! (`inline`) and per-function clean-up (`simplify`: copy propagation, common
//! subexpressions, immediate operands, dead code). They move no reference count: every
//! `incref`/`decref`/`drop`/`move` the memory model needs stays where `rc_opt` left it, and
//! the only instructions they delete are ones that neither fail nor touch the heap.

mod inline;
mod simplify;

use crate::instr::{Function, Instr, Module, Reg};

pub fn optimise(module: &mut Module) {
    for f in &mut module.functions {
        simplify::simplify(f);
    }
    if inline::inline_leaves(module) {
        for f in &mut module.functions {
            if !f.inlined.is_empty() {
                simplify::simplify(f);
            }
        }
    }
    for f in &mut module.functions {
        close(f);
    }
}

/// Makes control unable to run off the end of the code, as the VM's verifier requires:
/// falling off the end (or jumping to it) returns None, so a `ret_none` there changes
/// nothing. Lowering already ends every function with one; this keeps it so.
fn close(f: &mut Function) {
    let end = f.code.len() as u32;
    let open = f.code.last().is_none_or(Instr::falls_through)
        || f.code.iter().any(|i| i.target() == Some(end));
    if open {
        f.code.push(Instr::RetNone);
        f.spans.push(f.span);
    }
}

pub(crate) use crate::instr::Role;

/// Calls `f` on every register operand of `instr` (the table's roles), letting it rename
/// the register.
pub(crate) fn operands(instr: &mut Instr, mut f: impl FnMut(&mut Reg, Role)) {
    *instr = instr.map_operands(|mut r, role| {
        f(&mut r, role);
        r
    });
}

/// Registers `instr` reads and registers it (may) write.
pub(crate) fn uses_defs(instr: &Instr, uses: &mut Vec<Reg>, defs: &mut Vec<Reg>) {
    instr.uses_defs(uses, defs);
}

/// Where control can go after instruction `i` (`n` is the end of the code).
pub(crate) fn successors(code: &[Instr], i: usize, out: &mut Vec<usize>) {
    out.clear();
    out.extend(code[i].successors(i));
}

/// Whether control may enter instruction `i` other than from `i - 1` falling through.
/// Instructions that write only their `Def` registers and do nothing else that the code
/// around them could notice: no owner or range operand, not a branch, no call or
/// collector poll, no release (the table's facts). What else each use allows is its own.
pub(crate) fn registers_only(instr: &Instr) -> bool {
    let f = instr.facts();
    instr.plain_operands() && !instr.is_control() && !f.call && !f.safepoint && !f.release
}

pub(crate) fn block_starts(code: &[Instr]) -> Vec<bool> {
    let n = code.len();
    let mut start = vec![false; n + 1];
    start[0] = true;
    for (i, instr) in code.iter().enumerate() {
        if let Some(t) = instr.target() {
            start[t as usize] = true;
            start[i + 1] = true;
        }
        if !instr.falls_through() {
            start[i + 1] = true;
        }
    }
    start
}

/// Registers live on entry to each instruction (a bitset of `words` words per instruction).
pub(crate) struct Liveness {
    words: usize,
    live_in: Vec<u64>,
}

impl Liveness {
    pub(crate) fn of(f: &Function) -> Liveness {
        let n = f.code.len();
        let words = (f.num_regs as usize).div_ceil(64).max(1);
        let mut live_in = vec![0u64; (n + 1) * words];
        let (mut uses, mut defs, mut succ) = (Vec::new(), Vec::new(), Vec::new());
        let mut out = vec![0u64; words];
        let mut changed = true;
        while changed {
            changed = false;
            for i in (0..n).rev() {
                out.iter_mut().for_each(|w| *w = 0);
                successors(&f.code, i, &mut succ);
                for &s in &succ {
                    let s = s.min(n);
                    for w in 0..words {
                        out[w] |= live_in[s * words + w];
                    }
                }
                uses_defs(&f.code[i], &mut uses, &mut defs);
                for &d in &defs {
                    out[d as usize / 64] &= !(1u64 << (d % 64));
                }
                for &u in &uses {
                    out[u as usize / 64] |= 1u64 << (u % 64);
                }
                let slot = &mut live_in[i * words..(i + 1) * words];
                if slot != out.as_slice() {
                    slot.copy_from_slice(&out);
                    changed = true;
                }
            }
        }
        Liveness { words, live_in }
    }

    /// Whether `r` is live on entry to instruction `i` (`i` may be the end: nothing is).
    pub(crate) fn live_at(&self, i: usize, r: Reg) -> bool {
        let w = self.live_in[i * self.words + r as usize / 64];
        w & (1u64 << (r % 64)) != 0
    }

    /// Whether `r` is live right after instruction `i` (on any path out of it).
    pub(crate) fn live_after(&self, code: &[Instr], i: usize, r: Reg) -> bool {
        let mut succ = Vec::new();
        successors(code, i, &mut succ);
        succ.iter().any(|&s| self.live_at(s.min(code.len()), r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stark_syntax::ast::ParamMode;

    fn function(name: &str, params: usize, num_regs: u16, code: Vec<Instr>) -> Function {
        crate::test_util::function(name, ParamMode::Owned, params, num_regs, code)
    }

    fn caller() -> Function {
        function(
            "main",
            0,
            3,
            vec![
                Instr::LoadInt { dst: 1, value: 2 },
                Instr::Call {
                    dst: 0,
                    func: 1,
                    args: 1,
                    argc: 1,
                },
                Instr::Ret { src: 0 },
            ],
        )
    }

    fn module(callee: Function) -> Module {
        Module {
            functions: vec![caller(), callee],
            structs: Vec::new(),
            strings: Vec::new(),
            formats: Vec::new(),
            main: 0,
        }
    }

    #[test]
    fn a_scalar_leaf_is_inlined_with_its_site_recorded() {
        let double = function(
            "double",
            1,
            2,
            vec![Instr::IAdd { dst: 1, a: 0, b: 0 }, Instr::Ret { src: 1 }],
        );
        let mut m = module(double);
        optimise(&mut m);
        let main = &m.functions[0];
        assert!(!main.code.iter().any(|i| matches!(i, Instr::Call { .. })));
        assert_eq!(main.inlined.len(), 1);
        assert_eq!(main.inlined[0].callee, 1);
    }

    #[test]
    fn a_callee_that_touches_reference_counts_stays_a_call() {
        // An owned heap parameter is dropped by the callee: not a scalar leaf.
        let consume = function(
            "consume",
            1,
            2,
            vec![
                Instr::Drop { reg: 0 },
                Instr::LoadInt { dst: 1, value: 0 },
                Instr::Ret { src: 1 },
            ],
        );
        let mut m = module(consume);
        optimise(&mut m);
        assert!(m.functions[0]
            .code
            .iter()
            .any(|i| matches!(i, Instr::Call { func: 1, .. })));
        assert!(m.functions[0].inlined.is_empty());
    }

    #[test]
    fn a_constant_passed_as_an_argument_keeps_its_register() {
        // `load_int` in a loop feeding a call's argument range must not be renamed.
        let callee = function(
            "f",
            1,
            2,
            vec![
                Instr::CallNative {
                    dst: 1,
                    native: crate::native::Native::Print,
                    args: 0,
                    argc: 1,
                },
                Instr::RetNone,
            ],
        );
        let main = function(
            "main",
            0,
            4,
            vec![
                Instr::LoadInt { dst: 0, value: 0 },
                Instr::LoadInt { dst: 2, value: 7 },
                Instr::Call {
                    dst: 1,
                    func: 1,
                    args: 2,
                    argc: 1,
                },
                Instr::LoadInt { dst: 2, value: 8 },
                Instr::IncJumpICmpImm {
                    op: crate::instr::CmpOp::Lt,
                    a: 0,
                    imm: 1,
                    limit: 3,
                    target: 1,
                },
                Instr::RetNone,
            ],
        );
        let mut m = Module {
            functions: vec![main, callee],
            structs: Vec::new(),
            strings: Vec::new(),
            formats: Vec::new(),
            main: 0,
        };
        optimise(&mut m);
        let code = &m.functions[0].code;
        let call = code
            .iter()
            .position(|i| matches!(i, Instr::Call { .. }))
            .unwrap();
        assert!(code[..call].contains(&Instr::LoadInt { dst: 2, value: 7 }));
    }
}
