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
    let open = !matches!(
        f.code.last(),
        Some(Instr::Jump { .. } | Instr::Ret { .. } | Instr::RetNone)
    ) || f.code.iter().any(|i| i.target() == Some(end));
    if open {
        f.code.push(Instr::RetNone);
        f.spans.push(f.span);
    }
}

/// How an instruction uses a register operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Written, not read.
    Def,
    /// Read as a plain value (a scalar or a view); another register holding the same bits
    /// may be read instead.
    Read,
    /// Read, then overwritten with a new value (a loop counter's step).
    Update,
    /// Read for its identity: ownership is taken over or released through this register
    /// (`move`, `ret`, stores, `decref`/`drop`, which also leave it `None`) or its count
    /// changes (`incref`). Never substituted.
    Owner { clears: bool },
    /// The first of `n` contiguous operands (calls, constructors); the callee may take them
    /// over, so they count as read and written.
    Range(u16),
}

/// Calls `f` on every register operand of `instr`, reads before writes.
pub(crate) fn operands(instr: &mut Instr, mut f: impl FnMut(&mut Reg, Role)) {
    use Role::*;
    match instr {
        Instr::LoadInt { dst, .. }
        | Instr::LoadFloat { dst, .. }
        | Instr::LoadBool { dst, .. }
        | Instr::LoadNone { dst }
        | Instr::LoadStr { dst, .. } => f(dst, Def),
        Instr::Copy { dst, src }
        | Instr::INeg { dst, src }
        | Instr::FNeg { dst, src }
        | Instr::IToF { dst, src }
        | Instr::Not { dst, src }
        | Instr::IsNone { dst, src }
        | Instr::Unwrap { dst, src, .. }
        | Instr::IAddImm { dst, a: src, .. }
        | Instr::IMulImm { dst, a: src, .. }
        | Instr::IDivImm { dst, a: src, .. }
        | Instr::IModImm { dst, a: src, .. } => {
            f(src, Read);
            f(dst, Def);
        }
        Instr::Move { dst, src } => {
            f(src, Owner { clears: true });
            f(dst, Def);
        }
        Instr::Incref { reg } => f(reg, Owner { clears: false }),
        Instr::Decref { reg } | Instr::Drop { reg } => f(reg, Owner { clears: true }),
        Instr::IAdd { dst, a, b }
        | Instr::ISub { dst, a, b }
        | Instr::IMul { dst, a, b }
        | Instr::IDiv { dst, a, b }
        | Instr::IMod { dst, a, b }
        | Instr::IPow { dst, a, b }
        | Instr::FAdd { dst, a, b }
        | Instr::FSub { dst, a, b }
        | Instr::FMul { dst, a, b }
        | Instr::FDiv { dst, a, b }
        | Instr::FMod { dst, a, b }
        | Instr::FPow { dst, a, b }
        | Instr::ICmp { dst, a, b, .. }
        | Instr::FCmp { dst, a, b, .. }
        | Instr::BCmp { dst, a, b, .. }
        | Instr::SCmp { dst, a, b, .. }
        | Instr::Equal { dst, a, b, .. }
        | Instr::ListGet {
            dst,
            list: a,
            index: b,
        } => {
            f(a, Read);
            f(b, Read);
            f(dst, Def);
        }
        Instr::Concat { dst, a, b, take } => {
            // A consumed operand is released through its register, like `decref`.
            let role = |bit| match *take & bit {
                0 => Read,
                _ => Owner { clears: true },
            };
            f(a, role(crate::instr::TAKE_A));
            f(b, role(crate::instr::TAKE_B));
            f(dst, Def);
        }
        Instr::GetField { dst, obj, .. } => {
            f(obj, Read);
            f(dst, Def);
        }
        Instr::Jump { .. } | Instr::RetNone | Instr::ArenaEnter { .. } | Instr::ArenaExit => {}
        Instr::JumpIf { cond, .. } | Instr::JumpIfNot { cond, .. } => f(cond, Read),
        Instr::JumpICmp { a, b, .. } | Instr::JumpFCmpNot { a, b, .. } => {
            f(a, Read);
            f(b, Read);
        }
        Instr::JumpICmpImm { a, .. } => f(a, Read),
        Instr::IncJumpICmp { a, b, .. } => {
            f(a, Update);
            f(b, Read);
        }
        Instr::IncJumpICmpImm { a, .. } => f(a, Update),
        Instr::ForList {
            dst, list, index, ..
        } => {
            f(list, Read);
            f(index, Read);
            // Left as it was when the loop ends: not a kill for liveness.
            f(dst, Update);
        }
        Instr::ForStep { a, step, end, .. } => {
            f(a, Update);
            f(step, Read);
            f(end, Read);
        }
        Instr::FieldFMulAdd { obj, a, b, .. } | Instr::FieldFMulSub { obj, a, b, .. } => {
            f(obj, Read);
            f(a, Read);
            f(b, Read);
        }
        Instr::FMulAdd { dst, acc, a, b } | Instr::FMulSub { dst, acc, a, b } => {
            f(acc, Read);
            f(a, Read);
            f(b, Read);
            f(dst, Def);
        }
        Instr::FieldFSub { dst, a, b, .. } => {
            f(a, Read);
            f(b, Read);
            f(dst, Def);
        }
        Instr::FieldFMul { dst, obj, b, .. } => {
            f(obj, Read);
            f(b, Read);
            f(dst, Def);
        }
        Instr::Ret { src } => f(src, Owner { clears: true }),
        Instr::Call {
            dst, args, argc, ..
        }
        | Instr::CallNative {
            dst, args, argc, ..
        }
        | Instr::NewList { dst, args, argc }
        | Instr::NewStruct {
            dst, args, argc, ..
        } => {
            f(args, Range(*argc));
            f(dst, Def);
        }
        Instr::NewMap { dst, args, argc } => {
            f(args, Range(argc.saturating_mul(2)));
            f(dst, Def);
        }
        Instr::SetField { obj, src, .. } => {
            f(obj, Read);
            f(src, Owner { clears: true });
        }
        Instr::ListSet { list, index, src } => {
            f(list, Read);
            f(index, Read);
            f(src, Owner { clears: true });
        }
    }
}

/// Registers `instr` reads and registers it (may) write.
pub(crate) fn uses_defs(instr: &Instr, uses: &mut Vec<Reg>, defs: &mut Vec<Reg>) {
    uses.clear();
    defs.clear();
    let mut copy = *instr;
    operands(&mut copy, |r, role| match role {
        Role::Def => defs.push(*r),
        Role::Read | Role::Owner { clears: false } => uses.push(*r),
        Role::Owner { clears: true } | Role::Update => {
            uses.push(*r);
            defs.push(*r);
        }
        Role::Range(n) => {
            uses.extend((0..n).map(|i| *r + i));
            defs.extend((0..n).map(|i| *r + i));
        }
    });
}

/// Where control can go after instruction `i` (`n` is the end of the code).
pub(crate) fn successors(code: &[Instr], i: usize, out: &mut Vec<usize>) {
    out.clear();
    match code[i] {
        Instr::Jump { target } => out.push(target as usize),
        Instr::Ret { .. } | Instr::RetNone => {}
        instr => {
            out.push(i + 1);
            if let Some(t) = instr.target() {
                out.push(t as usize);
            }
        }
    }
}

/// Whether control may enter instruction `i` other than from `i - 1` falling through.
pub(crate) fn block_starts(code: &[Instr]) -> Vec<bool> {
    let n = code.len();
    let mut start = vec![false; n + 1];
    start[0] = true;
    for (i, instr) in code.iter().enumerate() {
        if let Some(t) = instr.target() {
            start[t as usize] = true;
            start[i + 1] = true;
        }
        if matches!(instr, Instr::Ret { .. } | Instr::RetNone) {
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
    use stark_syntax::Span;

    fn function(name: &str, params: usize, num_regs: u16, code: Vec<Instr>) -> Function {
        Function {
            name: name.into(),
            param_modes: vec![ParamMode::Owned; params],
            num_regs,
            spans: vec![Span::default(); code.len()],
            code,
            reg_names: vec![None; num_regs as usize],
            span: Span::default(),
            inlined: Vec::new(),
        }
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
