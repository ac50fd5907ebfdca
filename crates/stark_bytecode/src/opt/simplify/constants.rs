//! Constant loads (Int, Float, Bool, String): one shared by several uses is split per use
//! (so each can become an immediate), and one used in a loop is hoisted out of it (a String
//! constant is immortal and loaded as a view, so loading it once is as good as each time).

use super::*;

/// Per register, how many instructions write it.
pub(super) fn def_counts(f: &Function) -> Vec<u32> {
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
pub(super) fn constant_loads(f: &Function, live: &Liveness) -> Vec<bool> {
    let counts = def_counts(f);
    let arity = f.arity();
    f.code
        .iter()
        .map(|instr| match *instr {
            Instr::LoadInt { dst, .. }
            | Instr::LoadFunc { dst, .. }
            | Instr::LoadFloat { dst, .. }
            | Instr::LoadBool { dst, .. }
            | Instr::LoadStr { dst, .. } => {
                dst as usize >= arity && counts[dst as usize] == 1 && !live.live_at(0, dst)
            }
            _ => false,
        })
        .collect()
}

/// `in_loop[i]`: some backward jump at or after `i` targets at or before `i`.
pub(super) fn loop_members(f: &Function) -> Vec<bool> {
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
pub(super) fn split_constants(f: &mut Function) -> bool {
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
            | Instr::LoadFunc { dst, .. }
            | Instr::LoadFloat { dst, .. }
            | Instr::LoadBool { dst, .. }
            | Instr::LoadStr { dst, .. } => dst,
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

pub(super) fn count_plain_reads(instr: &Instr, d: Reg) -> usize {
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
pub(super) fn hoist_constants(f: &mut Function) -> bool {
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
