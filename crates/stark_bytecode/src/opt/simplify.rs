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

use super::{block_starts, operands, uses_defs, Liveness, Role};
use crate::instr::{CmpOp, Function, Instr, Reg};
use std::collections::HashMap;

pub(crate) fn simplify(f: &mut Function) {
    // Liveness takes a bit per register per instruction, so a huge function (100,000
    // `let`s in one body) would need gigabytes: such a function stays unoptimised.
    let live_bytes = (f.code.len() as u64 + 1) * (f.num_regs as u64).div_ceil(64) * 8;
    if live_bytes > MAX_LIVENESS_BYTES {
        return;
    }
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
    remove_rc_pairs(f);
}

/// `rc_opt`'s pair removal once more, after the fusions: `incref r … drop r` (or `decref
/// r`) within one block, with nothing between that can release or allocate anything and
/// `r` not read afterwards. `rc_opt` keeps such a pair around `set_field`, which may
/// release the field's old value; a `field_fmul_add` stores into a Float field and
/// releases nothing. As there, the object is kept alive by whatever kept it alive before
/// the `incref` (no release happens in between, and no collector safepoint either: there
/// is no branch), so the increment protected nothing.
fn remove_rc_pairs(f: &mut Function) -> bool {
    if !f.code.iter().any(|i| matches!(i, Instr::Incref { .. })) {
        return false;
    }
    let live = Liveness::of(f);
    let starts = block_starts(&f.code);
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
            uses_defs(&instr, &mut uses, &mut defs);
            if !harmless || defs.contains(&r) {
                break;
            }
        }
    }
    let changed = dead.iter().any(|d| *d);
    f.remove_instrs(&dead);
    changed
}

/// Instructions that write only their `Def` registers and do nothing else that the code
/// around them could notice: no owner or range operand, not a branch, no call or
/// collector poll, no release (the table's facts). What else each use allows is its own.
fn registers_only(instr: &Instr) -> bool {
    let f = instr.facts();
    instr.plain_operands() && !instr.is_control() && !f.call && !f.safepoint && !f.release
}

/// What may sit between an `incref` and the `drop` `remove_rc_pairs` deletes with it:
/// nothing that releases or allocates anything.
fn releases_and_allocates_nothing(instr: &Instr) -> bool {
    registers_only(instr) && !instr.facts().allocates
}

/// Instructions that may sit between a field's read and the `fmul_add` that uses it when
/// the two are fused into a field update: they write only their destination register and
/// store nothing to the heap, so the field still holds what was read. (One that fails
/// fails before the fused update as before the original store.)
fn stores_nothing(instr: &Instr) -> bool {
    registers_only(instr) && !instr.facts().writes_heap
}

/// `get_field t, o.k; …; fmul_add u, t + a * b; set_field o.k, u` (with `t` and `u` dead
/// afterwards and nothing between that stores to the heap or writes `t` or `o`) becomes
/// `field_fmul_add o.k, a * b`; likewise `fmul_sub`.
fn fuse_field_updates(f: &mut Function) -> bool {
    let live = Liveness::of(f);
    let starts = block_starts(&f.code);
    let n = f.code.len();
    let mut dead = vec![false; n];
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    for m in 1..n.saturating_sub(1) {
        let (acc, u, a, b, sub) = match f.code[m] {
            Instr::FMulAdd { dst, acc, a, b } => (acc, dst, a, b, false),
            Instr::FMulSub { dst, acc, a, b } => (acc, dst, a, b, true),
            _ => continue,
        };
        let Instr::SetField {
            obj: o,
            field: k,
            src,
        } = f.code[m + 1]
        else {
            continue;
        };
        if src != u || starts[m + 1] || dead[m + 1] || a == acc || b == acc {
            continue;
        }
        if live.live_after(&f.code, m, acc) || live.live_after(&f.code, m + 1, u) {
            continue;
        }
        // The read of the field, earlier in the same block.
        let mut g = m;
        let found = loop {
            if g == 0 || starts[g] {
                break None;
            }
            g -= 1;
            let instr = f.code[g];
            if dead[g] {
                break None;
            }
            if let Instr::GetField { dst, obj, field } = instr {
                if dst == acc {
                    break (obj == o && field == k && obj != dst).then_some(g);
                }
            }
            uses_defs(&instr, &mut uses, &mut defs);
            if !stores_nothing(&instr) || defs.contains(&acc) || defs.contains(&o) {
                break None;
            }
        };
        let Some(g) = found else { continue };
        // The field's value must still be what `acc` holds wherever else `acc` is read.
        if (g + 1..m).any(|i| {
            uses_defs(&f.code[i], &mut uses, &mut defs);
            uses.contains(&acc)
        }) {
            continue;
        }
        f.code[m] = if sub {
            Instr::FieldFMulSub {
                obj: o,
                field: k,
                a,
                b,
            }
        } else {
            Instr::FieldFMulAdd {
                obj: o,
                field: k,
                a,
                b,
            }
        };
        dead[g] = true;
        dead[m + 1] = true;
    }
    let changed = dead.iter().any(|d| *d);
    f.remove_instrs(&dead);
    changed
}

/// Float arithmetic on fields read just before, into one instruction, when the field
/// temporaries are dead afterwards:
/// `get_field t, a.i; get_field u, b.j; fsub d, t, u` becomes `field_fsub d, a.i - b.j`
/// (either read order), and `get_field t, o.k; fmul d, t, x` becomes `field_fmul d, o.k * x`.
/// The fused instruction reads the same fields in the same state (nothing runs between the
/// reads and the arithmetic) and computes the same operation on the same operand order.
fn fuse_field_reads(f: &mut Function) -> bool {
    let live = Liveness::of(f);
    let starts = block_starts(&f.code);
    let n = f.code.len();
    let mut dead = vec![false; n];
    // `t` (a temporary the fusion no longer writes) is not read after instruction `at`.
    let gone = |code: &[Instr], t: Reg, d: Reg, at: usize| d == t || !live.live_after(code, at, t);
    let mut i = 0;
    while i + 1 < n {
        if starts[i + 1] {
            i += 1;
            continue;
        }
        let Instr::GetField {
            dst: t,
            obj: o,
            field: k,
        } = f.code[i]
        else {
            i += 1;
            continue;
        };
        if i + 2 < n && !starts[i + 2] {
            if let (
                Instr::GetField {
                    dst: u,
                    obj: o2,
                    field: k2,
                },
                Instr::FSub { dst, a: x, b: y },
            ) = (f.code[i + 1], f.code[i + 2])
            {
                let reads = (x == t && y == u) || (x == u && y == t);
                if reads
                    && t != u
                    && o2 != t
                    && gone(&f.code, t, dst, i + 2)
                    && gone(&f.code, u, dst, i + 2)
                {
                    let ((a, fa), (b, fb)) = if x == t {
                        ((o, k), (o2, k2))
                    } else {
                        ((o2, k2), (o, k))
                    };
                    f.code[i + 2] = Instr::FieldFSub { dst, a, fa, b, fb };
                    dead[i] = true;
                    dead[i + 1] = true;
                    i += 3;
                    continue;
                }
            }
        }
        if let Instr::FMul { dst, a: x, b } = f.code[i + 1] {
            if x == t && b != t && gone(&f.code, t, dst, i + 1) {
                f.code[i + 1] = Instr::FieldFMul {
                    dst,
                    obj: o,
                    field: k,
                    b,
                };
                dead[i] = true;
                i += 2;
                continue;
            }
        }
        i += 1;
    }
    let changed = dead.iter().any(|d| *d);
    f.remove_instrs(&dead);
    changed
}

/// Per register, how many instructions write it.
fn def_counts(f: &Function) -> Vec<u32> {
    let mut counts = vec![0u32; f.num_regs as usize];
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    for instr in &f.code {
        uses_defs(instr, &mut uses, &mut defs);
        for &d in &defs {
            counts[d as usize] += 1;
        }
    }
    counts
}

/// Registers that hold one constant wherever they are read: written once, by a constant
/// load, and not read on any path before it (not live on entry). Returns, per instruction,
/// whether it is such a load.
fn constant_loads(f: &Function, live: &Liveness) -> Vec<bool> {
    let counts = def_counts(f);
    let arity = f.arity();
    f.code
        .iter()
        .map(|instr| match *instr {
            Instr::LoadInt { dst, .. }
            | Instr::LoadFloat { dst, .. }
            | Instr::LoadBool { dst, .. } => {
                dst as usize >= arity && counts[dst as usize] == 1 && !live.live_at(0, dst)
            }
            _ => false,
        })
        .collect()
}

/// `in_loop[i]`: some backward jump at or after `i` targets at or before `i`.
fn loop_members(f: &Function) -> Vec<bool> {
    let mut in_loop = vec![false; f.code.len()];
    for (j, instr) in f.code.iter().enumerate() {
        if let Some(t) = instr.target() {
            if (t as usize) <= j {
                in_loop[t as usize..=j].iter_mut().for_each(|x| *x = true);
            }
        }
    }
    in_loop
}

/// Gives a constant load inside a loop a register of its own when its register is reused
/// for other values (the lowering's temporaries are) and this value is read only in its
/// own block, so that `hoist_constants` can move it out of the loop.
fn split_constants(f: &mut Function) -> bool {
    let n = f.code.len();
    let live = Liveness::of(f);
    let starts = block_starts(&f.code);
    let in_loop = loop_members(f);
    let counts = def_counts(f);
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    let mut changed = false;
    for (i, &looped) in in_loop.iter().enumerate() {
        let d = match f.code[i] {
            Instr::LoadInt { dst, .. }
            | Instr::LoadFloat { dst, .. }
            | Instr::LoadBool { dst, .. } => dst,
            _ => continue,
        };
        if !looped || counts[d as usize] < 2 || (d as usize) < f.arity() {
            continue;
        }
        if f.num_regs >= Reg::MAX / 2 {
            break;
        }
        // The reads of this value: up to the next write of `d` in the block.
        let mut readers = Vec::new();
        let mut ok = true;
        let mut j = i + 1;
        let mut redefined = false;
        while j < n && !starts[j] {
            // Only plain reads can be renamed (not a call's argument range, say).
            let mut plain = false;
            let mut instr = f.code[j];
            operands(&mut instr, |r, role| plain |= *r == d && role == Role::Read);
            uses_defs(&f.code[j], &mut uses, &mut defs);
            let reads = uses.contains(&d);
            if reads {
                let plain_only =
                    uses.iter().filter(|&&u| u == d).count() == count_plain_reads(&f.code[j], d);
                if !plain || !plain_only {
                    ok = false;
                    break;
                }
                readers.push(j);
            }
            if defs.contains(&d) {
                redefined = true;
                break;
            }
            j += 1;
        }
        // Read past the block (after its last instruction, `j - 1`): not ours to rename.
        if !ok || (!redefined && live.live_after(&f.code, j - 1, d)) {
            continue;
        }
        let fresh = f.num_regs;
        f.num_regs += 1;
        f.reg_names.push(None);
        set_dst(&mut f.code[i], fresh);
        for &k in &readers {
            operands(&mut f.code[k], |r, role| {
                if *r == d && role == Role::Read {
                    *r = fresh;
                }
            });
        }
        changed = true;
    }
    changed
}

fn count_plain_reads(instr: &Instr, d: Reg) -> usize {
    let mut copy = *instr;
    let mut k = 0;
    operands(&mut copy, |r, role| {
        if *r == d && role == Role::Read {
            k += 1;
        }
    });
    k
}

/// Moves constant loads out of loops to the function's entry: the register holds that
/// constant wherever it is read, so loading it once is enough.
fn hoist_constants(f: &mut Function) -> bool {
    let n = f.code.len();
    let live = Liveness::of(f);
    let constant = constant_loads(f, &live);
    let in_loop = loop_members(f);
    let hoist: Vec<bool> = (0..n).map(|i| constant[i] && in_loop[i]).collect();
    if !hoist.iter().any(|h| *h) {
        return false;
    }
    let moved: Vec<(Instr, stark_syntax::Span)> = (0..n)
        .filter(|&i| hoist[i])
        .map(|i| (f.code[i], f.spans[i]))
        .collect();
    f.remove_instrs(&hoist);
    let k = moved.len();
    for instr in &mut f.code {
        if let Some(t) = instr.target_mut() {
            *t += k as u32;
        }
    }
    for site in &mut f.inlined {
        site.start += k as u32;
        site.end += k as u32;
    }
    f.code.splice(0..0, moved.iter().map(|m| m.0));
    f.spans.splice(0..0, moved.iter().map(|m| m.1));
    true
}

/// Superinstructions for adjacent pairs: `fmul t, a, b` + `fadd d, acc, t` (or `fsub d,
/// acc, t`) with `t` dead after, and a loop's `iadd_imm i, i, k` + `jump_i… i, n`; and
/// `for_list` for the four-instruction head of a `for x in list` loop.
fn fuse(f: &mut Function) -> bool {
    let live = Liveness::of(f);
    let starts = block_starts(&f.code);
    let n = f.code.len();
    let mut targeted = vec![false; n + 1];
    for instr in &f.code {
        if let Some(t) = instr.target() {
            targeted[t as usize] = true;
        }
    }
    let mut dead = vec![false; n];
    let mut i = 0;
    while i + 1 < n {
        if starts[i + 1] {
            i += 1;
            continue;
        }
        if let Some(head) = for_list_head(&f.code, i, &starts, &targeted, &live) {
            f.code[i] = head;
            dead[i + 1..i + 4].fill(true);
            i += 4;
            continue;
        }
        let fused = match (f.code[i], f.code[i + 1]) {
            (Instr::FMul { dst: t, a, b }, second) => {
                let t_dead = |d: Reg| d == t || !live.live_after(&f.code, i + 1, t);
                match second {
                    Instr::FAdd { dst, a: x, b: y } if (x == t) != (y == t) && t_dead(dst) => {
                        let acc = if x == t { y } else { x };
                        Some(Instr::FMulAdd { dst, acc, a, b })
                    }
                    Instr::FSub { dst, a: acc, b: y } if y == t && acc != t && t_dead(dst) => {
                        Some(Instr::FMulSub { dst, acc, a, b })
                    }
                    _ => None,
                }
            }
            (
                Instr::IAddImm { dst, a, imm },
                Instr::JumpICmp {
                    op,
                    a: x,
                    b,
                    target,
                },
            ) if dst == a && x == a && b != a => {
                i16::try_from(imm).ok().map(|imm| Instr::IncJumpICmp {
                    op,
                    a,
                    imm,
                    b,
                    target,
                })
            }
            (
                Instr::IAddImm { dst, a, imm },
                Instr::JumpICmpImm {
                    op,
                    a: x,
                    imm: limit,
                    target,
                },
            ) if dst == a && x == a => i16::try_from(imm).ok().map(|imm| Instr::IncJumpICmpImm {
                op,
                a,
                imm,
                limit,
                target,
            }),
            _ => None,
        };
        match fused {
            Some(instr) => {
                f.code[i] = instr;
                dead[i + 1] = true;
                i += 2;
            }
            None => i += 1,
        }
    }
    let changed = dead.iter().any(|d| *d);
    f.remove_instrs(&dead);
    changed
}

/// `list.len L, list` + `icmp.lt C, idx, L` + `jump_if_not C, @T` + `list_get x, list[idx]`
/// at `i`, as one `for_list x, list[idx], @T`, when nothing jumps into the middle and the
/// length and the test are dead afterwards (the loop re-reads the length each time round).
fn for_list_head(
    code: &[Instr],
    i: usize,
    starts: &[bool],
    targeted: &[bool],
    live: &Liveness,
) -> Option<Instr> {
    let [Instr::CallNative {
        dst: len,
        native: crate::Native::ListLen,
        args: list,
        argc: 1,
    }, Instr::ICmp {
        op: CmpOp::Lt,
        dst: cond,
        a: index,
        b,
    }, Instr::JumpIfNot { cond: c, target }, Instr::ListGet {
        dst,
        list: l,
        index: x,
    }] = *code.get(i..i + 4)?
    else {
        return None;
    };
    let shape = b == len && c == cond && l == list && x == index;
    // The length and the test must not clobber the list or the index the fused form reads.
    let distinct = ![list, index].contains(&len) && ![list, index].contains(&cond);
    let straight = !starts[i + 1] && !starts[i + 2] && !targeted[i + 3];
    let dead_after = !live.live_after(code, i + 2, len) && !live.live_after(code, i + 2, cond);
    (shape && distinct && straight && dead_after).then_some(Instr::ForList {
        dst,
        list,
        index,
        target,
    })
}

/// An instruction with its destination cleared: equal keys compute equal values from equal
/// operand registers.
fn cse_key(instr: &Instr) -> Option<Instr> {
    let mut k = *instr;
    match &mut k {
        // Commutative: one key for both operand orders.
        Instr::IAdd { dst, a, b }
        | Instr::IMul { dst, a, b }
        | Instr::FAdd { dst, a, b }
        | Instr::FMul { dst, a, b } => {
            *dst = 0;
            if a > b {
                std::mem::swap(a, b);
            }
        }
        Instr::ISub { dst, .. }
        | Instr::IDiv { dst, .. }
        | Instr::IMod { dst, .. }
        | Instr::FSub { dst, .. }
        | Instr::FDiv { dst, .. }
        | Instr::IAddImm { dst, .. }
        | Instr::IMulImm { dst, .. }
        | Instr::IDivImm { dst, .. }
        | Instr::IModImm { dst, .. }
        | Instr::INeg { dst, .. }
        | Instr::FNeg { dst, .. }
        | Instr::IToF { dst, .. }
        | Instr::ICmp { dst, .. }
        | Instr::FCmp { dst, .. } => *dst = 0,
        _ => return None,
    }
    Some(k)
}

fn reads(key: &Instr, r: Reg) -> bool {
    let mut k = *key;
    let mut hit = false;
    operands(&mut k, |x, role| hit |= role == Role::Read && *x == r);
    hit
}

fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        op => op,
    }
}

/// Rewrites `instr` to an immediate form where an operand is a known small constant.
fn fold_immediate(instr: Instr, konst: &HashMap<Reg, i64>) -> Instr {
    let k = |r: Reg| konst.get(&r).and_then(|&v| i32::try_from(v).ok());
    match instr {
        Instr::IAdd { dst, a, b } => match (k(a), k(b)) {
            (_, Some(imm)) => Instr::IAddImm { dst, a, imm },
            (Some(imm), None) => Instr::IAddImm { dst, a: b, imm },
            _ => instr,
        },
        Instr::ISub { dst, a, b } => match k(b).and_then(i32::checked_neg) {
            Some(imm) => Instr::IAddImm { dst, a, imm },
            None => instr,
        },
        Instr::IMul { dst, a, b } => match (k(a), k(b)) {
            (_, Some(imm)) => Instr::IMulImm { dst, a, imm },
            (Some(imm), None) => Instr::IMulImm { dst, a: b, imm },
            _ => instr,
        },
        // A zero divisor stays a register operand: its error is `IDiv`'s.
        Instr::IDiv { dst, a, b } => match k(b) {
            Some(imm) if imm != 0 => Instr::IDivImm { dst, a, imm },
            _ => instr,
        },
        Instr::IMod { dst, a, b } => match k(b) {
            Some(imm) if imm != 0 => Instr::IModImm { dst, a, imm },
            _ => instr,
        },
        Instr::JumpICmp { op, a, b, target } => match (k(a), k(b)) {
            (_, Some(imm)) => Instr::JumpICmpImm { op, a, imm, target },
            (Some(imm), None) => Instr::JumpICmpImm {
                op: mirror(op),
                a: b,
                imm,
                target,
            },
            _ => instr,
        },
        _ => instr,
    }
}

/// The most memory one function's [`Liveness`] may take.
const MAX_LIVENESS_BYTES: u64 = 64 << 20;

/// How many available expressions and copies [`local_pass`] tracks at once.
const LOCAL_FACTS: usize = 256;

/// Step 1 of the module doc, one forward walk per basic block.
fn local_pass(f: &mut Function) -> bool {
    let starts = block_starts(&f.code);
    let live = Liveness::of(f);
    let constant = constant_loads(f, &live);
    // Constants valid everywhere, the starting point of every block's own.
    let global: HashMap<Reg, i64> = f
        .code
        .iter()
        .zip(&constant)
        .filter_map(|(instr, &c)| match *instr {
            Instr::LoadInt { dst, value } if c => Some((dst, value)),
            _ => None,
        })
        .collect();
    let mut changed = false;
    // copy_of[t] = s: `t` holds what `s` holds (`s` is never itself a key).
    let mut copy_of: HashMap<Reg, Reg> = HashMap::new();
    let mut konst: HashMap<Reg, i64> = HashMap::new();
    let mut avail: Vec<(Instr, Reg)> = Vec::new();
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    for (i, &start) in starts.iter().enumerate().take(f.code.len()) {
        if start {
            copy_of.clear();
            konst.clone_from(&global);
            avail.clear();
        }
        let mut instr = f.code[i];
        operands(&mut instr, |r, role| {
            if role == Role::Read {
                if let Some(&s) = copy_of.get(r) {
                    *r = s;
                }
            }
        });
        instr = fold_immediate(instr, &konst);
        if let Instr::INeg { dst, src } = instr {
            if let Some(value) = konst.get(&src).and_then(|v| v.checked_neg()) {
                instr = Instr::LoadInt { dst, value };
            }
        }
        let key = cse_key(&instr);
        if let (Some(key), Some(dst)) = (key, dst_of(&instr)) {
            if let Some(&(_, v)) = avail.iter().find(|(k, _)| *k == key) {
                if v != dst {
                    instr = Instr::Copy { dst, src: v };
                }
            }
        }
        if instr != f.code[i] {
            f.code[i] = instr;
            changed = true;
        }
        uses_defs(&instr, &mut uses, &mut defs);
        // Forgetting facts is always sound; bounding them keeps a huge straight-line
        // block (50,000 `let`s) linear instead of quadratic in the scans below.
        if avail.len() > LOCAL_FACTS {
            avail.drain(..LOCAL_FACTS / 2);
        }
        if copy_of.len() > LOCAL_FACTS {
            copy_of.clear();
        }
        for &d in &defs {
            copy_of.remove(&d);
            copy_of.retain(|_, s| *s != d);
            konst.remove(&d);
            avail.retain(|(k, v)| *v != d && !reads(k, d));
        }
        match instr {
            Instr::Copy { dst, src } if dst != src => {
                copy_of.insert(dst, src);
                if let Some(&v) = konst.get(&src) {
                    konst.insert(dst, v);
                }
            }
            Instr::LoadInt { dst, value } => {
                konst.insert(dst, value);
            }
            _ => {
                if let (Some(key), Some(dst)) = (cse_key(&instr), dst_of(&instr)) {
                    if !reads(&key, dst) {
                        avail.push((key, dst));
                    }
                }
            }
        }
    }
    changed
}

/// The only register `instr` writes, for instructions that read all operands first and
/// write one destination (and store nothing to the heap).
fn dst_of(instr: &Instr) -> Option<Reg> {
    if !stores_nothing(instr) {
        return None;
    }
    let (mut dst, mut count) = (None, 0);
    instr.visit_operands(|r, role| {
        if role == Role::Def {
            dst = Some(r);
            count += 1;
        }
    });
    if count == 1 {
        dst
    } else {
        None
    }
}

fn set_dst(instr: &mut Instr, to: Reg) {
    operands(instr, |r, role| {
        if role == Role::Def {
            *r = to;
        }
    });
}

/// Step 2: `op t, …; copy d, t` → `op d, …` when `t` is dead after the copy.
fn forward_results(f: &mut Function) -> bool {
    let live = Liveness::of(f);
    let starts = block_starts(&f.code);
    let mut dead = vec![false; f.code.len()];
    let mut changed = false;
    for i in 0..f.code.len().saturating_sub(1) {
        let Instr::Copy { dst: d, src: t } = f.code[i + 1] else {
            continue;
        };
        if starts[i + 1] || dead[i] || d == t || dst_of(&f.code[i]) != Some(t) {
            continue;
        }
        if live.live_after(&f.code, i + 1, t) {
            continue;
        }
        set_dst(&mut f.code[i], d);
        dead[i + 1] = true;
        changed = true;
    }
    f.remove_instrs(&dead);
    changed
}

/// Instructions that cannot fail and have no effect but their destination (deleted when it
/// is dead). Reading the heap is no effect; allocating a result nothing reads is none either
/// (an owned result is read by its release, so it is not dead).
fn removable(instr: &Instr) -> bool {
    stores_nothing(instr) && !instr.may_fail() && dst_of(instr).is_some()
}

/// Step 3.
fn remove_dead(f: &mut Function) -> bool {
    let live = Liveness::of(f);
    let n = f.code.len();
    let mut dead = vec![false; n];
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    for (i, &instr) in f.code.iter().enumerate() {
        match instr {
            Instr::Jump { target } if target as usize == i + 1 => dead[i] = true,
            Instr::Copy { dst, src } if dst == src => dead[i] = true,
            _ if removable(&instr) => {
                uses_defs(&instr, &mut uses, &mut defs);
                if defs.iter().all(|&d| !live.live_after(&f.code, i, d)) {
                    dead[i] = true;
                }
            }
            _ => {}
        }
    }
    let changed = dead.iter().any(|d| *d);
    f.remove_instrs(&dead);
    changed
}
