//! RC optimisation (M12). Lowering already emits no RC op for moves and borrows; this pass
//! removes the ones that still cancel out or do nothing:
//!
//! 1. `drop r` / `decref r` where `r` is *inert* on every path: `None` (a binding moved out
//!    of, or never assigned) or an uncounted string constant (`LoadStr`: the VM keeps
//!    constants immortal, so releasing one frees nothing). A forward must-be-inert dataflow
//!    over the control-flow graph; an `incref` makes a register counted, so its release
//!    stays. The same walk deletes instructions it never reaches (code after a `return`).
//! 2. `incref r … decref r` pairs around a straight-line stretch in which nothing can
//!    release any object. The increment then protects nothing: whatever kept the object
//!    alive before the `incref` still does at the `decref`. Calls count as non-releasing
//!    when the callee is *read-only*: its own code (after this pass) releases nothing and
//!    calls only read-only functions. Read-only-ness is found by an optimistic fixpoint:
//!    assume every function is read-only, remove pairs on that assumption, and re-check;
//!    any function found to release is dropped from the set and the removal redone from
//!    the original code, until the set is stable (it only shrinks, so this ends).
//!    A call is also a collector safepoint, where destructors of cyclic garbage run: if
//!    any destructor may release, no call counts as non-releasing.
//! 0. (`share_last_uses`, run by lowering, which knows where a String binding is shared)
//!    a `copy` + `incref` that shares a String binding (M1: a String is never moved)
//!    becomes a `move` where the binding is not read again, so a String handed over at
//!    its last use costs no RC op and stays uniquely owned (for `concat` to grow it).
//! 3. (`fold_consumed_operands`, run last, after the scalar optimiser) a `decref`/`drop` of
//!    a `concat` operand right after the `concat` — the operand's last use, so a move — is
//!    folded into it: the `concat` consumes that operand, and reuses its buffer when it is
//!    the only reference (`s = s + t`, and every inner `+` of `a + b + c`).

use crate::instr::{Function, Instr, Module, Reg, Role, TAKE_A, TAKE_B};

pub fn optimise(module: &mut Module) {
    let original: Vec<Function> = module.functions.clone();
    let mut readonly = vec![true; module.functions.len()];
    loop {
        let rel = Releases::new(module, &readonly);
        for (f, orig) in module.functions.iter_mut().zip(&original) {
            *f = orig.clone();
            remove_inert_drops(f);
            remove_pairs(f, &rel);
        }
        let next: Vec<bool> = module
            .functions
            .iter()
            .zip(&readonly)
            .map(|(f, &was)| was && !f.code.iter().any(|i| can_release(i, &rel)))
            .collect();
        if next == readonly {
            break;
        }
        readonly = next;
    }
}

/// Pass 3: a release of a `concat` operand that comes later in the same straight-line
/// stretch, with nothing in between touching the register (and no jump into the stretch, so
/// every path to the release comes through the `concat`), is folded into the `concat`,
/// which then consumes that operand. Releasing a string earlier is unobservable (strings
/// have no destructors), and the register is left `None` as the release would leave it.
pub fn fold_consumed_operands(module: &mut Module) {
    for f in &mut module.functions {
        let n = f.code.len();
        let is_target = jump_targets(f);
        let mut dead = vec![false; n];
        for i in 0..n {
            let Instr::Concat { dst, a, b, take: 0 } = f.code[i] else {
                continue;
            };
            if a == b {
                continue;
            }
            let mut take = 0;
            for (reg, bit) in [(a, TAKE_A), (b, TAKE_B)] {
                if reg == dst {
                    continue;
                }
                for j in i + 1..n {
                    if is_target[j] {
                        break;
                    }
                    if dead[j] {
                        continue;
                    }
                    if let Instr::Decref { reg: r } | Instr::Drop { reg: r } = f.code[j] {
                        if r == reg {
                            take |= bit;
                            dead[j] = true;
                            break;
                        }
                    }
                    if is_branch(&f.code[j]) || touches(&f.code[j], reg) {
                        break;
                    }
                }
            }
            if take != 0 {
                f.code[i] = Instr::Concat { dst, a, b, take };
            }
        }
        remove(f, &dead);
    }
}

/// Pass 0: `shares` are the indices of `copy t, s` instructions by which lowering shared a
/// String binding `s` (each followed by `incref t`, after an `unwrap t` for a `String?`).
/// Where every path from there reaches a release of `s` (its `drop` at the end of its
/// scope, or before it is reassigned) before any other instruction touches `s`, the
/// binding is not read again: the pair becomes `move t, s`, handing `t` the reference that
/// release would have given up, and the release, now of `None`, does nothing (pass 1
/// deletes it where that holds on every path). Only Strings are so marked: they have no
/// destructors, so the earlier or later release of one is unobservable.
pub fn share_last_uses(f: &mut Function, shares: &[usize]) {
    let n = f.code.len();
    let mut dead = vec![false; n];
    // `seen[k] == stamp`: visited in the current walk (no clearing between walks).
    let mut seen = vec![0u32; n];
    let mut work = Vec::new();
    for (stamp, &i) in (1u32..).zip(shares) {
        let Some(&Instr::Copy { dst, src }) = f.code.get(i) else {
            continue;
        };
        let mut j = i + 1;
        if let Some(Instr::Unwrap { dst: d, src: s, .. }) = f.code.get(j) {
            if (*d, *s) == (dst, dst) {
                j += 1;
            }
        }
        if f.code.get(j) != Some(&Instr::Incref { reg: dst }) {
            continue;
        }
        // A forward walk over the paths from the `incref`: each must end at a release of
        // `src`; another touch, or a `return` first, means `src` is still needed. A path
        // that loops without touching `src` ends nowhere and needs nothing from it. The
        // walk is bounded, so that thousands of shares in one huge function stay linear.
        work.clear();
        work.push(j + 1);
        let mut released = true;
        let mut budget = WALK_BUDGET;
        while let Some(k) = work.pop() {
            if k >= n || budget == 0 {
                released = false;
                break;
            }
            if std::mem::replace(&mut seen[k], stamp) == stamp {
                continue;
            }
            budget -= 1;
            let instr = f.code[k];
            if touches(&instr, src) {
                if matches!(instr, Instr::Drop { reg } | Instr::Decref { reg } if reg == src) {
                    continue;
                }
                released = false;
                break;
            }
            if instr.facts().returns {
                released = false;
                break;
            }
            successors(&instr, k, &mut work);
        }
        if released {
            f.code[i] = Instr::Move { dst, src };
            dead[j] = true;
        }
    }
    remove(f, &dead);
}

/// How many instructions `share_last_uses` looks at from one share before keeping it.
const WALK_BUDGET: usize = 4096;

/// Pushes the instructions that may run after `code[i]`.
fn successors(instr: &Instr, i: usize, out: &mut Vec<usize>) {
    out.extend(instr.successors(i));
}

/// What calls may release, under the current read-only assumption.
struct Releases<'a> {
    readonly: &'a [bool],
    /// Some destructor may release an object. Every call is a collector safepoint (the
    /// callee's backward jumps too), where destructors of cyclic garbage run and can reach
    /// live objects through their fields: then no call is free of releases, whatever its
    /// callee does.
    at_safepoint: bool,
}

impl<'a> Releases<'a> {
    fn new(module: &Module, readonly: &'a [bool]) -> Releases<'a> {
        let at_safepoint = module
            .structs
            .iter()
            .filter_map(|s| s.destructor)
            .any(|d| !readonly.get(d as usize).copied().unwrap_or(false));
        Releases {
            readonly,
            at_safepoint,
        }
    }
}

/// Whether executing `instr` may release (and so free) an object: the table's fact, except
/// that a call releases nothing when its callee is read-only and no destructor releases.
fn can_release(instr: &Instr, rel: &Releases) -> bool {
    match *instr {
        Instr::Call { func, .. } => {
            rel.at_safepoint || !rel.readonly.get(func as usize).copied().unwrap_or(false)
        }
        _ => instr.may_release(),
    }
}

/// Registers an instruction writes.
pub(crate) fn defs(instr: &Instr, out: &mut Vec<Reg>) {
    instr.defs(out);
}

/// Whether an instruction reads or writes register `r`.
pub fn touches(instr: &Instr, r: Reg) -> bool {
    instr.touches(r)
}

/// Whether `instr` overwrites `r` (a read alone is fine inside a pair). A callee cannot
/// write its caller's registers, so a range operand (a call's, a constructor's) is not
/// overwritten: it is at most taken over, which leaves the object alive.
fn writes(instr: &Instr, r: Reg) -> bool {
    let mut hit = false;
    instr.visit_operands(|x, role| {
        hit |= x == r
            && matches!(
                role,
                Role::Def | Role::Update | Role::Owner { clears: true }
            )
    });
    hit
}

fn is_branch(instr: &Instr) -> bool {
    instr.is_control()
}

fn jump_targets(f: &Function) -> Vec<bool> {
    let mut is_target = vec![false; f.code.len() + 1];
    for instr in &f.code {
        if let Some(target) = instr.target() {
            is_target[target as usize] = true;
        }
    }
    is_target
}

fn remove_pairs(f: &mut Function, rel: &Releases) {
    let n = f.code.len();
    let is_target = jump_targets(f);
    let mut dead = vec![false; n];
    for i in 0..n {
        let Instr::Incref { reg } = f.code[i] else {
            continue;
        };
        for j in i + 1..n {
            if is_target[j] || is_branch(&f.code[j]) {
                break;
            }
            if let Instr::Decref { reg: d } = f.code[j] {
                if d == reg && !dead[j] {
                    dead[i] = true;
                    dead[j] = true;
                    break;
                }
            }
            if dead[j] {
                continue;
            }
            if can_release(&f.code[j], rel) || writes(&f.code[j], reg) {
                break;
            }
        }
    }
    remove(f, &dead);
}

/// Forward must-be-inert analysis; removes releases of registers that are `None` or an
/// uncounted constant.
fn remove_inert_drops(f: &mut Function) {
    let n = f.code.len();
    let regs = f.num_regs as usize;
    let words = regs.div_ceil(64).max(1);
    // state[i]: registers certainly inert on entry to instruction i; `None` = not reached yet.
    let mut state: Vec<Option<Vec<u64>>> = vec![None; n + 1];
    let mut entry = vec![0u64; words];
    for r in f.param_modes.len()..regs {
        entry[r / 64] |= 1 << (r % 64);
    }
    state[0] = Some(entry);
    let mut work = vec![0usize];
    let mut scratch = Vec::new();
    let meet = |slot: &mut Option<Vec<u64>>, incoming: &[u64]| -> bool {
        match slot {
            None => {
                *slot = Some(incoming.to_vec());
                true
            }
            Some(cur) => {
                let mut changed = false;
                for (c, x) in cur.iter_mut().zip(incoming) {
                    let v = *c & x;
                    changed |= v != *c;
                    *c = v;
                }
                changed
            }
        }
    };
    while let Some(i) = work.pop() {
        if i >= n {
            continue;
        }
        let Some(mut s) = state[i].clone() else {
            continue;
        };
        let instr = f.code[i];
        let inert = |s: &[u64], r: Reg| s[r as usize / 64] & (1 << (r % 64)) != 0;
        // What a `move`/`copy` transfers is the source's state before the instruction.
        let carried = match instr {
            Instr::Move { src, .. } | Instr::Copy { src, .. } => inert(&s, src),
            _ => false,
        };
        defs(&instr, &mut scratch);
        for &r in &scratch {
            s[r as usize / 64] &= !(1 << (r % 64));
        }
        let set_inert = |s: &mut Vec<u64>, r: Reg| s[r as usize / 64] |= 1 << (r % 64);
        match instr {
            Instr::LoadNone { dst } | Instr::LoadStr { dst, .. } => set_inert(&mut s, dst),
            Instr::Move { dst, src } => {
                set_inert(&mut s, src);
                if carried {
                    set_inert(&mut s, dst);
                }
            }
            Instr::Copy { dst, .. } if carried => set_inert(&mut s, dst),
            Instr::Incref { reg } => s[reg as usize / 64] &= !(1 << (reg % 64)),
            Instr::Decref { reg } | Instr::Drop { reg } => set_inert(&mut s, reg),
            _ => {}
        }
        let mut succ = Vec::with_capacity(2);
        successors(&instr, i, &mut succ);
        for t in succ {
            if t <= n && meet(&mut state[t], &s) {
                work.push(t);
            }
        }
    }
    let mut dead = vec![false; n];
    for (i, instr) in f.code.iter().enumerate() {
        // Never reached from the entry (code after a `return`): nothing to run.
        if state[i].is_none() {
            dead[i] = true;
            continue;
        }
        if let Instr::Decref { reg } | Instr::Drop { reg } = *instr {
            if let Some(s) = &state[i] {
                if s[reg as usize / 64] & (1 << (reg % 64)) != 0 {
                    dead[i] = true;
                }
            }
        }
    }
    remove(f, &dead);
}

/// Deletes the marked instructions, renumbering jump targets.
fn remove(f: &mut Function, dead: &[bool]) {
    f.remove_instrs(dead);
}

/// The pair removal once more, run by `opt::simplify` after its fusions: `incref r … drop r` (or `decref
/// r`) within one block, with nothing between that can release or allocate anything and
/// `r` not read afterwards. `rc_opt` keeps such a pair around `set_field`, which may
/// release the field's old value; a `field_fmul_add` stores into a Float field and
/// releases nothing. As there, the object is kept alive by whatever kept it alive before
/// the `incref` (no release happens in between, and no collector safepoint either: there
/// is no branch), so the increment protected nothing.
pub(crate) fn remove_pairs_after_fusion(f: &mut Function) -> bool {
    if !f.code.iter().any(|i| matches!(i, Instr::Incref { .. })) {
        return false;
    }
    let live = crate::opt::Liveness::of(f);
    let starts = crate::opt::block_starts(&f.code);
    let n = f.code.len();
    let mut dead = vec![false; n];
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    for i in 0..n {
        let Instr::Incref { reg: r } = f.code[i] else {
            continue;
        };
        for j in i + 1..n {
            if starts[j] || dead[j] {
                break;
            }
            let instr = f.code[j];
            if let Instr::Decref { reg } | Instr::Drop { reg } = instr {
                if reg == r && !live.live_after(&f.code, j, r) {
                    dead[i] = true;
                    dead[j] = true;
                }
                break;
            }
            let harmless = releases_and_allocates_nothing(&instr);
            crate::opt::uses_defs(&instr, &mut uses, &mut defs);
            if !harmless || defs.contains(&r) {
                break;
            }
        }
    }
    let changed = dead.iter().any(|d| *d);
    f.remove_instrs(&dead);
    changed
}

/// What may sit between an `incref` and the `drop` `remove_pairs_after_fusion` deletes with it:
/// nothing that releases or allocates anything.
fn releases_and_allocates_nothing(instr: &Instr) -> bool {
    crate::opt::registers_only(instr) && !instr.facts().allocates
}

#[cfg(test)]
mod tests {
    use super::*;
    use stark_syntax::ast::ParamMode;

    fn function(params: usize, num_regs: u16, code: Vec<Instr>) -> Function {
        crate::test_util::function("f", ParamMode::Borrowed, params, num_regs, code)
    }

    fn module(functions: Vec<Function>) -> Module {
        crate::test_util::module(functions)
    }

    #[test]
    fn drop_of_a_moved_out_register_is_removed() {
        let f = function(
            0,
            3,
            vec![
                Instr::NewList {
                    dst: 0,
                    args: 0,
                    argc: 0,
                },
                Instr::Move { dst: 1, src: 0 },
                Instr::Drop { reg: 1 },
                Instr::Drop { reg: 0 },
                Instr::RetNone,
            ],
        );
        let mut m = module(vec![f]);
        optimise(&mut m);
        let drops: Vec<_> = m.functions[0]
            .code
            .iter()
            .filter(|i| matches!(i, Instr::Drop { .. }))
            .collect();
        assert_eq!(drops, vec![&Instr::Drop { reg: 1 }]);
    }

    #[test]
    fn drop_of_an_uncounted_constant_is_removed_but_a_counted_one_stays() {
        // r0 holds a literal (moved through r1); r2 holds a literal that was retained.
        let f = function(
            0,
            3,
            vec![
                Instr::LoadStr { dst: 0, konst: 0 },
                Instr::Move { dst: 1, src: 0 },
                Instr::LoadStr { dst: 2, konst: 0 },
                Instr::Incref { reg: 2 },
                Instr::Drop { reg: 2 },
                Instr::Drop { reg: 1 },
                Instr::Drop { reg: 0 },
                Instr::RetNone,
            ],
        );
        let mut m = module(vec![f]);
        optimise(&mut m);
        let drops: Vec<_> = m.functions[0]
            .code
            .iter()
            .filter(|i| matches!(i, Instr::Drop { .. }))
            .collect();
        assert_eq!(drops, vec![&Instr::Drop { reg: 2 }]);
    }

    #[test]
    fn a_drop_needed_on_one_path_stays() {
        // r0 is moved out only when the branch is taken: its drop must stay.
        let f = function(
            0,
            3,
            vec![
                Instr::NewList {
                    dst: 0,
                    args: 0,
                    argc: 0,
                },
                Instr::LoadBool {
                    dst: 2,
                    value: true,
                },
                Instr::JumpIfNot { cond: 2, target: 4 },
                Instr::Move { dst: 1, src: 0 },
                Instr::Drop { reg: 0 },
                Instr::Drop { reg: 1 },
                Instr::RetNone,
            ],
        );
        let mut m = module(vec![f]);
        optimise(&mut m);
        assert!(m.functions[0].code.contains(&Instr::Drop { reg: 0 }));
    }

    #[test]
    fn pair_around_a_read_only_call_is_removed() {
        // callee: reads its borrowed parameter, releases nothing.
        let callee = function(
            1,
            2,
            vec![
                Instr::GetField {
                    dst: 1,
                    obj: 0,
                    field: 0,
                },
                Instr::Ret { src: 1 },
            ],
        );
        let caller = function(
            1,
            3,
            vec![
                Instr::GetField {
                    dst: 1,
                    obj: 0,
                    field: 0,
                },
                Instr::Incref { reg: 1 },
                Instr::Call {
                    dst: 2,
                    func: 1,
                    args: 1,
                    argc: 1,
                },
                Instr::Decref { reg: 1 },
                Instr::Ret { src: 2 },
            ],
        );
        let mut m = module(vec![caller, callee]);
        optimise(&mut m);
        assert!(!m.functions[0]
            .code
            .iter()
            .any(|i| matches!(i, Instr::Incref { .. } | Instr::Decref { .. })));
    }

    #[test]
    fn pair_around_a_releasing_call_stays() {
        // callee releases something: the caller's retain protects its argument.
        let callee = function(
            1,
            2,
            vec![
                Instr::NewList {
                    dst: 1,
                    args: 0,
                    argc: 0,
                },
                Instr::Decref { reg: 1 },
                Instr::RetNone,
            ],
        );
        let caller = function(
            1,
            3,
            vec![
                Instr::GetField {
                    dst: 1,
                    obj: 0,
                    field: 0,
                },
                Instr::Incref { reg: 1 },
                Instr::Call {
                    dst: 2,
                    func: 1,
                    args: 1,
                    argc: 1,
                },
                Instr::Decref { reg: 1 },
                Instr::RetNone,
            ],
        );
        let mut m = module(vec![caller, callee]);
        optimise(&mut m);
        assert!(m.functions[0].code.contains(&Instr::Incref { reg: 1 }));
        assert!(m.functions[0].code.contains(&Instr::Decref { reg: 1 }));
    }

    /// `r0` is a String binding shared into `r1` at index 1 (`copy` + `incref`), then
    /// `tail` runs and `r0` is dropped.
    fn shared_then(tail: Vec<Instr>) -> Function {
        let mut code = vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Copy { dst: 1, src: 0 },
            Instr::Incref { reg: 1 },
        ];
        code.extend(tail);
        code.extend([
            Instr::Drop { reg: 1 },
            Instr::Drop { reg: 0 },
            Instr::RetNone,
        ]);
        function(0, 3, code)
    }

    #[test]
    fn a_string_share_at_its_last_use_becomes_a_move() {
        // A branch that skips some code still reaches the drop first on both paths.
        let mut f = shared_then(vec![
            Instr::LoadBool {
                dst: 2,
                value: true,
            },
            Instr::JumpIf { cond: 2, target: 5 },
            Instr::LoadInt { dst: 2, value: 1 },
        ]);
        share_last_uses(&mut f, &[1]);
        assert_eq!(f.code[1], Instr::Move { dst: 1, src: 0 });
        assert!(!f.code.contains(&Instr::Incref { reg: 1 }));
        assert_eq!(f.code[3], Instr::JumpIf { cond: 2, target: 4 });
    }

    #[test]
    fn a_string_share_read_again_on_some_path_stays() {
        // One path reads r0 (`print`-like native) before the drop; a loop back to the
        // share reads it again too.
        let branchy = shared_then(vec![
            Instr::LoadBool {
                dst: 2,
                value: true,
            },
            Instr::JumpIf { cond: 2, target: 6 },
            Instr::Copy { dst: 2, src: 0 },
        ]);
        let looping = shared_then(vec![
            Instr::Decref { reg: 1 },
            Instr::LoadBool {
                dst: 2,
                value: true,
            },
            Instr::JumpIf { cond: 2, target: 1 },
        ]);
        for mut f in [branchy, looping] {
            let before = f.code.clone();
            share_last_uses(&mut f, &[1]);
            assert_eq!(f.code, before);
        }
    }

    /// `new_map` reads `2 * argc` registers (key, value, …), as the VM and the verifier say:
    /// a `concat` operand moved into the map as the first pair's value is still in use
    /// there, so its later release is not the operand's last use and must not be folded
    /// into the `concat` (which would leave the map `None` for that value).
    #[test]
    fn a_new_map_value_operand_is_a_use_of_the_register() {
        let f = function(
            0,
            5,
            vec![
                Instr::LoadStr { dst: 0, konst: 0 },
                Instr::LoadStr { dst: 1, konst: 0 },
                Instr::LoadStr { dst: 2, konst: 0 },
                Instr::Concat {
                    dst: 3,
                    a: 1,
                    b: 2,
                    take: 0,
                },
                Instr::NewMap {
                    dst: 4,
                    args: 0,
                    argc: 1,
                },
                Instr::Decref { reg: 1 },
                Instr::Decref { reg: 3 },
                Instr::Decref { reg: 4 },
                Instr::RetNone,
            ],
        );
        assert!(touches(&f.code[4], 1));
        let mut m = module(vec![f]);
        fold_consumed_operands(&mut m);
        let code = &m.functions[0].code;
        assert!(matches!(code[3], Instr::Concat { take: 0, .. }), "{code:?}");
        assert!(code.contains(&Instr::Decref { reg: 1 }));
    }

    #[test]
    fn unreachable_code_is_removed_and_jumps_renumbered() {
        let f = function(
            0,
            2,
            vec![
                Instr::LoadBool {
                    dst: 0,
                    value: true,
                },
                Instr::JumpIfNot { cond: 0, target: 4 },
                Instr::RetNone,
                Instr::Jump { target: 4 },
                Instr::LoadInt { dst: 1, value: 1 },
                Instr::RetNone,
            ],
        );
        let mut m = module(vec![f]);
        optimise(&mut m);
        let code = &m.functions[0].code;
        assert_eq!(code.len(), 5);
        assert_eq!(code[1], Instr::JumpIfNot { cond: 0, target: 3 });
    }
}
