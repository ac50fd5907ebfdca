//! Result forwarding (`op t, …; copy d, t` with `t` dead becomes `op d, …`) and dead code.

use super::*;

/// The only register `instr` writes, for instructions that read all operands first and
/// write one destination (and store nothing to the heap).
pub(super) fn dst_of(instr: &Instr) -> Option<Reg> {
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

pub(super) fn set_dst(instr: &mut Instr, to: Reg) {
    operands(instr, |r, role| {
        if role == Role::Def {
            *r = to;
        }
    });
}

/// Step 2: `op t, …; copy d, t` → `op d, …` when `t` is dead after the copy.
pub(super) fn forward_results(f: &mut Function) -> bool {
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
pub(super) fn removable(instr: &Instr) -> bool {
    stores_nothing(instr) && !instr.may_fail() && dst_of(instr).is_some()
}

/// Step 3.
pub(super) fn remove_dead(f: &mut Function) -> bool {
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
