//! Fusions: a field read, a float multiply-add and the store back become one
//! `field_fmul_add`; a field read feeding an arithmetic op is read in place; the head of a
//! `for x in list` loop becomes one `for_list`; the string queries become instructions.

use super::*;

/// `get_field t, o.k; …; fmul_add u, t + a * b; set_field o.k, u` (with `t` and `u` dead
/// afterwards and nothing between that stores to the heap or writes `t` or `o`) becomes
/// `field_fmul_add o.k, a * b`; likewise `fmul_sub`.
pub(super) fn fuse_field_updates(f: &mut Function) -> bool {
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
pub(super) fn fuse_field_reads(f: &mut Function) -> bool {
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

/// The string queries a text loop asks of every word (`len`, `startswith`, `endswith`,
/// `isdigit`) as instructions of their own instead of `call_native`: the dispatch loop runs
/// them without the native call's tests, and their operands are plain reads, so copy
/// propagation removes the copies lowering made to line up a call's argument range. Run
/// before the other passes for that reason. (None of these natives consumes an operand.)
pub(super) fn specialise_natives(f: &mut Function) -> bool {
    let mut changed = false;
    for instr in &mut f.code {
        let Instr::CallNative {
            dst,
            native,
            args,
            argc,
        } = *instr
        else {
            continue;
        };
        let second = args.checked_add(1);
        let special = match (native, argc, second) {
            (crate::Native::StrLen, 1, _) => Instr::StrLen { dst, s: args },
            (crate::Native::StrIsDigit, 1, _) => Instr::StrIsDigit { dst, s: args },
            (crate::Native::StrStartsWith, 2, Some(prefix)) => Instr::StrStartsWith {
                dst,
                s: args,
                prefix,
            },
            (crate::Native::StrEndsWith, 2, Some(suffix)) => Instr::StrEndsWith {
                dst,
                s: args,
                suffix,
            },
            _ => continue,
        };
        *instr = special;
        changed = true;
    }
    changed
}

/// Superinstructions for adjacent pairs: `fmul t, a, b` + `fadd d, acc, t` (or `fsub d,
/// acc, t`) with `t` dead after, a loop's `iadd_imm i, i, k` + `jump_i… i, n`, a string
/// query + `jump_if_not` on its dead result (`jump_unless_startswith`); `for_list` for the
/// four-instruction head of a `for x in list` loop, and `for_list_next` for its step.
pub(super) fn fuse(f: &mut Function) -> bool {
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
        if let Some(step) = for_list_step(&f.code, i) {
            f.code[i] = step;
            dead[i + 1] = true;
            i += 2;
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
            // A string query whose only use is the branch after it.
            (query, Instr::JumpIfNot { cond, target })
                if !live.live_after(&f.code, i + 1, cond) =>
            {
                match query {
                    Instr::StrStartsWith { dst, s, prefix } if dst == cond => {
                        Some(Instr::JumpUnlessStartsWith { s, prefix, target })
                    }
                    Instr::StrEndsWith { dst, s, suffix } if dst == cond => {
                        Some(Instr::JumpUnlessEndsWith { s, suffix, target })
                    }
                    Instr::StrIsDigit { dst, s } if dst == cond => {
                        Some(Instr::JumpUnlessIsDigit { s, target })
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

/// `iadd_imm idx, idx, 1` + `jump @H` at `i`, where `H` holds the loop's head `for_list x,
/// list[idx], @E` and `E` is right after the jump (the loop's exit), as one `for_list_next
/// x, list[idx], @H+1`: the step, the test and the element's read, going back to the body.
/// The head stays for the first iteration. (The caller checked that nothing jumps to the
/// `jump` itself; a `continue` jumps to the step, which the fused instruction replaces.)
pub(super) fn for_list_step(code: &[Instr], i: usize) -> Option<Instr> {
    let [Instr::IAddImm { dst, a, imm: 1 }, Instr::Jump { target: head }] = *code.get(i..i + 2)?
    else {
        return None;
    };
    let Instr::ForList {
        dst: x,
        list,
        index,
        target: exit,
    } = *code.get(head as usize)?
    else {
        return None;
    };
    let shape = dst == a && a == index && exit as usize == i + 2 && (head as usize) < i;
    // The step must not write the list or the element register the head reads.
    (shape && index != list && index != x).then_some(Instr::ForListNext {
        dst: x,
        list,
        index,
        target: head + 1,
    })
}

/// `list.len L, list` + `icmp.lt C, idx, L` + `jump_if_not C, @T` + `list_get x, list[idx]`
/// at `i`, as one `for_list x, list[idx], @T`, when nothing jumps into the middle and the
/// length and the test are dead afterwards (the loop re-reads the length each time round).
pub(super) fn for_list_head(
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
