//! Inlining of tiny leaf functions: a call to a function whose body is a few scalar
//! instructions (no calls, no heap operations, no reference counting, no loops) is replaced
//! by that body, renamed into registers of the caller. Such a callee can hold no reference it
//! would have to release — an owned heap parameter would need a `drop`, a heap result an
//! `incref` or a constructor — so its parameters and result are scalars or views and the
//! substitution moves no count. What it saves is a frame per call: pushing it, clearing its
//! registers, the collector poll, and the return.
//!
//! The caller keeps an `InlineSite` per inlined body so that a runtime error inside it (an
//! overflow, a division by zero) reports the callee's frame as a real call would.

use super::{operands, successors, uses_defs, Role};
use crate::instr::{FuncId, Function, InlineSite, Instr, Label, Module, Reg};

/// Bodies longer than this are not inlined (after `simplify`, before renaming).
const MAX_BODY: usize = 24;

/// Inlines every call to an eligible function; whether anything was inlined.
pub(crate) fn inline_leaves(module: &mut Module) -> bool {
    let eligible: Vec<bool> = module.functions.iter().map(eligible).collect();
    let mut any = false;
    for fi in 0..module.functions.len() {
        let calls_eligible = module.functions[fi].code.iter().any(
            |i| matches!(i, Instr::Call { func, .. } if eligible[*func as usize] && *func as usize != fi),
        );
        if calls_eligible {
            let mut f = std::mem::replace(&mut module.functions[fi], placeholder());
            any |= inline_into(&mut f, fi, module, &eligible);
            module.functions[fi] = f;
        }
    }
    any
}

fn placeholder() -> Function {
    Function {
        name: String::new(),
        param_modes: Vec::new(),
        num_regs: 0,
        code: Vec::new(),
        spans: Vec::new(),
        reg_names: Vec::new(),
        span: Default::default(),
        inlined: Vec::new(),
        generic: false,
    }
}

/// Whether `f` is small, straight-line-or-forward-branching, and touches only scalars.
fn eligible(f: &Function) -> bool {
    if f.code.is_empty() || f.code.len() > MAX_BODY || !f.inlined.is_empty() {
        return false;
    }
    let arity = f.arity() as Reg;
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    for (i, instr) in f.code.iter().enumerate() {
        // No call, no heap, no reference counting (the table's facts); a return is
        // rewritten into a copy and a jump.
        let facts = instr.facts();
        // A tuple returned as several values (`ret_multi`) has no one register to copy.
        let scalar = (facts.returns && !matches!(instr, Instr::RetMulti { .. }))
            || (instr.plain_operands()
                && !facts.call
                && !facts.safepoint
                && !facts.release
                && !facts.allocates
                && !facts.reads_heap
                && !facts.writes_heap);
        if !scalar {
            return false;
        }
        // Forward jumps only: no loop, so no collector safepoint moves into the caller.
        if instr.target().is_some_and(|t| t as usize <= i) {
            return false;
        }
        // Parameters map onto the caller's argument registers, which must stay as they were.
        uses_defs(instr, &mut uses, &mut defs);
        if defs.iter().any(|&d| d < arity) {
            return false;
        }
    }
    defined_before_use(f)
}

/// Every register the body reads holds a value it wrote (or a parameter) on every path: a
/// callee frame starts with `None` in its other registers, the caller's registers that
/// stand in for them do not.
fn defined_before_use(f: &Function) -> bool {
    let n = f.code.len();
    let regs = f.num_regs as usize;
    // defined[i]: registers certainly written on entry to `i`; `None` = not reached yet.
    // Jumps only go forward, so one pass in order sees every predecessor first.
    let mut defined: Vec<Option<Vec<bool>>> = vec![None; n + 1];
    let mut entry = vec![false; regs];
    entry[..f.arity()].iter_mut().for_each(|d| *d = true);
    defined[0] = Some(entry);
    let (mut uses, mut defs, mut succ) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let Some(mut state) = defined[i].take() else {
            continue;
        };
        uses_defs(&f.code[i], &mut uses, &mut defs);
        if uses.iter().any(|&u| !state[u as usize]) {
            return false;
        }
        for &d in &defs {
            state[d as usize] = true;
        }
        successors(&f.code, i, &mut succ);
        for &s in &succ {
            let slot = &mut defined[s.min(n)];
            match slot {
                None => *slot = Some(state.clone()),
                Some(cur) => cur.iter_mut().zip(&state).for_each(|(c, x)| *c &= *x),
            }
        }
    }
    true
}

/// Replaces the eligible calls of `f` (function `fi`) by renamed copies of the callees.
fn inline_into(f: &mut Function, fi: usize, module: &Module, eligible: &[bool]) -> bool {
    // One block of fresh registers per callee, shared by its call sites: a body's registers
    // are all written before they are read and dead once it ends.
    let mut fresh: Vec<(FuncId, Reg)> = Vec::new();
    let n = f.code.len();
    let mut code = Vec::with_capacity(n);
    let mut spans = Vec::with_capacity(n);
    let mut new_index = vec![0 as Label; n + 1];
    let mut sites = Vec::new();
    // Jumps inside inlined bodies are already final; only the caller's own need renumbering.
    let mut own = Vec::with_capacity(n);
    let mut any = false;
    for (i, slot) in new_index.iter_mut().enumerate().take(n) {
        *slot = code.len() as Label;
        let instr = f.code[i];
        let Instr::Call {
            dst, func, args, ..
        } = instr
        else {
            code.push(instr);
            spans.push(f.spans[i]);
            own.push(true);
            continue;
        };
        let callee = &module.functions[func as usize];
        if !eligible[func as usize] || func as usize == fi {
            code.push(instr);
            spans.push(f.spans[i]);
            own.push(true);
            continue;
        }
        let arity = callee.arity() as Reg;
        let base = match fresh.iter().find(|(c, _)| *c == func) {
            Some(&(_, b)) => b,
            None => {
                let extra = callee.num_regs.saturating_sub(arity);
                let Some(total) = f.num_regs.checked_add(extra).filter(|t| *t < Reg::MAX / 2)
                else {
                    code.push(instr);
                    spans.push(f.spans[i]);
                    own.push(true);
                    continue;
                };
                let b = f.num_regs;
                f.num_regs = total;
                f.reg_names.resize(total as usize, None);
                for r in arity..callee.num_regs {
                    if let Some(Some(name)) = callee.reg_names.get(r as usize) {
                        f.reg_names[(b + r - arity) as usize] =
                            Some(format!("{}.{name}", callee.name));
                    }
                }
                fresh.push((func, b));
                b
            }
        };
        let map = |r: Reg| {
            if r < arity {
                args + r
            } else {
                base + (r - arity)
            }
        };
        let start = code.len();
        let m = callee.code.len();
        // Falling off the end (or jumping there) returns None, as the VM does.
        let falls_off = callee.code[m - 1].falls_through()
            || callee.code.iter().any(|c| c.target() == Some(m as Label));
        // A return jumps to the end unless it is the last thing emitted.
        let jumps_out = |j: usize| j + 1 < m || falls_off;
        // Where callee instruction `j` lands; `m` is the fall-off-the-end point.
        let mut pos = vec![0usize; m + 1];
        let mut at = start;
        for (j, ci) in callee.code.iter().enumerate() {
            pos[j] = at;
            at += match ci {
                Instr::Ret { .. } | Instr::RetNone if jumps_out(j) => 2,
                _ => 1,
            };
        }
        pos[m] = at;
        let end = at + usize::from(falls_off);
        for (j, ci) in callee.code.iter().enumerate() {
            let span = callee.spans[j];
            match *ci {
                Instr::Ret { src } => {
                    code.push(Instr::Copy { dst, src: map(src) });
                    spans.push(span);
                    own.push(false);
                }
                Instr::RetNone => {
                    code.push(Instr::LoadNone { dst });
                    spans.push(span);
                    own.push(false);
                }
                mut c => {
                    operands(&mut c, |r, role| {
                        debug_assert!(!matches!(role, Role::Range(_)));
                        *r = map(*r);
                    });
                    if let Some(t) = c.target_mut() {
                        *t = pos[*t as usize] as Label;
                    }
                    code.push(c);
                    spans.push(span);
                    own.push(false);
                    continue;
                }
            }
            if jumps_out(j) {
                code.push(Instr::Jump {
                    target: end as Label,
                });
                spans.push(span);
                own.push(false);
            }
        }
        if falls_off {
            code.push(Instr::LoadNone { dst });
            spans.push(callee.span);
            own.push(false);
        }
        debug_assert_eq!(code.len(), end);
        sites.push(InlineSite {
            start: start as u32,
            end: end as u32,
            callee: func,
            call_span: f.spans[i],
        });
        any = true;
    }
    new_index[n] = code.len() as Label;
    if !any {
        return false;
    }
    for (instr, &own) in code.iter_mut().zip(&own) {
        if own {
            if let Some(t) = instr.target_mut() {
                *t = new_index[*t as usize];
            }
        }
    }
    for site in &mut f.inlined {
        site.start = new_index[site.start as usize];
        site.end = new_index[site.end as usize];
    }
    f.inlined.extend(sites);
    f.inlined.sort_by_key(|s| s.start);
    f.code = code;
    f.spans = spans;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instr::{Instr, Module};
    use stark_syntax::ast::ParamMode;

    fn function(name: &str, params: usize, num_regs: u16, code: Vec<Instr>) -> Function {
        crate::test_util::function(name, ParamMode::Owned, params, num_regs, code)
    }

    fn module(functions: Vec<Function>) -> Module {
        crate::test_util::module(functions)
    }

    fn calls(f: &Function) -> usize {
        f.code
            .iter()
            .filter(|i| matches!(i, Instr::Call { .. }))
            .count()
    }

    #[test]
    fn a_scalar_leaf_is_inlined_and_remembers_its_call_site() {
        // main: r0 = 41; r1 = inc(r0); return r1.   inc(x): return x + 1
        let main = function(
            "main",
            0,
            3,
            vec![
                Instr::LoadInt { dst: 0, value: 41 },
                Instr::Copy { dst: 2, src: 0 },
                Instr::Call {
                    dst: 1,
                    func: 1,
                    args: 2,
                    argc: 1,
                },
                Instr::Ret { src: 1 },
            ],
        );
        let inc = function(
            "inc",
            1,
            2,
            vec![
                Instr::IAddImm {
                    dst: 1,
                    a: 0,
                    imm: 1,
                },
                Instr::Ret { src: 1 },
            ],
        );
        let mut m = module(vec![main, inc]);
        assert!(inline_leaves(&mut m));
        let main = &m.functions[0];
        assert_eq!(calls(main), 0, "{:?}", main.code);
        assert!(main
            .code
            .iter()
            .any(|i| matches!(i, Instr::IAddImm { imm: 1, .. })));
        // A runtime error inside the inlined body still names `inc`.
        assert_eq!(main.inlined.len(), 1);
        assert_eq!(main.inlined[0].callee, 1);
    }

    #[test]
    fn a_callee_with_a_loop_or_a_call_is_not_inlined() {
        let main = function(
            "main",
            0,
            2,
            vec![
                Instr::Call {
                    dst: 0,
                    func: 1,
                    args: 1,
                    argc: 0,
                },
                Instr::Ret { src: 0 },
            ],
        );
        // spin(): loops forever (a backward jump).
        let spin = function(
            "spin",
            0,
            1,
            vec![
                Instr::LoadInt { dst: 0, value: 0 },
                Instr::Jump { target: 0 },
            ],
        );
        let mut m = module(vec![main, spin]);
        inline_leaves(&mut m);
        assert_eq!(calls(&m.functions[0]), 1);
    }
}
