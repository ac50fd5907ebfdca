//! RC optimisation (M12): removes `incref r … decref r` pairs that cancel out.
//!
//! A pair is removed when both sit in one straight-line stretch (no jump or jump target
//! between them) and nothing between them reads or writes `r`: the increment then protects
//! no use, and the decrement releases nothing the increment did not add.

use crate::instr::{Function, Instr, Module, Reg};

pub fn optimise(module: &mut Module) {
    for f in &mut module.functions {
        optimise_function(f);
    }
}

/// Registers an instruction reads or writes.
pub fn touches(instr: &Instr, r: Reg) -> bool {
    let in_range = |start: Reg, count: u16| r >= start && (r as u32) < start as u32 + count as u32;
    match *instr {
        Instr::LoadInt { dst, .. } | Instr::LoadFloat { dst, .. } | Instr::LoadBool { dst, .. } | Instr::LoadNone { dst } | Instr::LoadStr { dst, .. } => dst == r,
        Instr::Copy { dst, src } | Instr::Move { dst, src } | Instr::INeg { dst, src } | Instr::FNeg { dst, src } | Instr::IToF { dst, src } | Instr::Not { dst, src } | Instr::IsNone { dst, src } | Instr::Unwrap { dst, src, .. } => dst == r || src == r,
        Instr::Incref { reg } | Instr::Decref { reg } | Instr::Drop { reg } => reg == r,
        Instr::IAdd { dst, a, b } | Instr::ISub { dst, a, b } | Instr::IMul { dst, a, b } | Instr::IDiv { dst, a, b } | Instr::IMod { dst, a, b } | Instr::IPow { dst, a, b } | Instr::FAdd { dst, a, b } | Instr::FSub { dst, a, b } | Instr::FMul { dst, a, b } | Instr::FDiv { dst, a, b } | Instr::FMod { dst, a, b } | Instr::FPow { dst, a, b } | Instr::Concat { dst, a, b } | Instr::ICmp { dst, a, b, .. } | Instr::FCmp { dst, a, b, .. } | Instr::BCmp { dst, a, b, .. } | Instr::SCmp { dst, a, b, .. } | Instr::Equal { dst, a, b, .. } => dst == r || a == r || b == r,
        Instr::Jump { .. } | Instr::RetNone | Instr::ArenaEnter { .. } | Instr::ArenaExit => false,
        Instr::JumpIf { cond, .. } | Instr::JumpIfNot { cond, .. } => cond == r,
        Instr::Ret { src } => src == r,
        Instr::Call { dst, args, argc, .. } | Instr::CallNative { dst, args, argc, .. } | Instr::NewList { dst, args, argc } | Instr::NewMap { dst, args, argc } | Instr::NewStruct { dst, args, argc, .. } => dst == r || in_range(args, argc),
        Instr::GetField { dst, obj, .. } => dst == r || obj == r,
        Instr::SetField { obj, src, .. } => obj == r || src == r,
        Instr::ListGet { dst, list, index } => dst == r || list == r || index == r,
        Instr::ListSet { list, index, src } => list == r || index == r || src == r,
    }
}

fn is_branch(instr: &Instr) -> bool {
    matches!(instr, Instr::Jump { .. } | Instr::JumpIf { .. } | Instr::JumpIfNot { .. } | Instr::Ret { .. } | Instr::RetNone | Instr::ArenaEnter { .. } | Instr::ArenaExit)
}

fn optimise_function(f: &mut Function) {
    let n = f.code.len();
    let mut is_target = vec![false; n + 1];
    for instr in &f.code {
        if let Instr::Jump { target } | Instr::JumpIf { target, .. } | Instr::JumpIfNot { target, .. } = *instr {
            is_target[target as usize] = true;
        }
    }
    let mut dead = vec![false; n];
    for i in 0..n {
        let Instr::Incref { reg } = f.code[i] else { continue };
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
            if touches(&f.code[j], reg) {
                break;
            }
        }
    }
    if !dead.iter().any(|d| *d) {
        return;
    }
    // Renumber jump targets past the removed instructions.
    let mut new_index = vec![0u32; n + 1];
    let mut k = 0u32;
    for i in 0..=n {
        new_index[i] = k;
        if i < n && !dead[i] {
            k += 1;
        }
    }
    let mut code = Vec::with_capacity(k as usize);
    let mut spans = Vec::with_capacity(k as usize);
    for i in 0..n {
        if dead[i] {
            continue;
        }
        let mut instr = f.code[i];
        if let Instr::Jump { target } | Instr::JumpIf { target, .. } | Instr::JumpIfNot { target, .. } = &mut instr {
            *target = new_index[*target as usize];
        }
        code.push(instr);
        spans.push(f.spans[i]);
    }
    f.code = code;
    f.spans = spans;
}
