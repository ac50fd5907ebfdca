//! Load-time bytecode verification. The dispatch loop indexes registers without bounds
//! checks; this pass is what makes that sound: every register operand (and operand range) of
//! every instruction lies inside its function's frame (V1), control never leaves the code —
//! it ends in a jump or return and every jump lands on an instruction (V2) — and every
//! function, struct and constant index exists.

use stark_bytecode::{Function, Instr, Module};

/// Checks the whole module; the error names the function and instruction.
pub(crate) fn verify_module(module: &Module) -> Result<(), String> {
    let nfuncs = module.functions.len();
    if module.main as usize >= nfuncs {
        return Err(format!("main function #{} does not exist", module.main));
    }
    // A struct header packs its type id and field count into 16 bits each.
    let limit = stark_runtime::object::MAX_STRUCT_TYPES;
    if module.structs.len() >= limit {
        return Err(format!("more than {} struct types", limit - 1));
    }
    for s in &module.structs {
        if s.fields.len() >= limit {
            return Err(format!(
                "struct `{}` has more than {} fields",
                s.name,
                limit - 1
            ));
        }
        if let Some(d) = s.destructor {
            match module.functions.get(d as usize) {
                Some(f) if f.arity() == 1 => {}
                _ => {
                    return Err(format!(
                        "destructor of `{}` is not a one-parameter function",
                        s.name
                    ))
                }
            }
        }
    }
    for f in &module.functions {
        verify_function(module, f).map_err(|e| format!("in `{}`: {e}", f.name))?;
    }
    Ok(())
}

fn verify_function(module: &Module, f: &Function) -> Result<(), String> {
    let nregs = f.num_regs as usize;
    if nregs < f.arity() {
        return Err(format!("{} registers for {} parameters", nregs, f.arity()));
    }
    let code_len = f.code.len();
    // V2: control cannot run off the end (the dispatch loop fetches without a bounds check).
    if !matches!(
        f.code.last(),
        Some(Instr::Jump { .. } | Instr::Ret { .. } | Instr::RetNone)
    ) {
        return Err("the code does not end in a jump or return".into());
    }
    for site in &f.inlined {
        if site.start > site.end
            || site.end as usize > code_len
            || site.callee as usize >= module.functions.len()
        {
            return Err(format!("inline site {site:?} out of range"));
        }
    }
    for (pc, instr) in f.code.iter().enumerate() {
        let at = |msg: String| format!("instruction {pc} ({instr:?}): {msg}");
        let reg = |r: u16| -> Result<(), String> {
            if (r as usize) < nregs {
                Ok(())
            } else {
                Err(at(format!("register r{r} outside a frame of {nregs}")))
            }
        };
        let range = |start: u16, count: usize| -> Result<(), String> {
            if start as usize + count <= nregs {
                Ok(())
            } else {
                Err(at(format!(
                    "registers r{start}..+{count} outside a frame of {nregs}"
                )))
            }
        };
        let target = |t: u32| -> Result<(), String> {
            if (t as usize) < code_len {
                Ok(())
            } else {
                Err(at(format!(
                    "jump target {t} past the last instruction ({code_len})"
                )))
            }
        };
        let string = |k: u32| -> Result<(), String> {
            if (k as usize) < module.strings.len() {
                Ok(())
            } else {
                Err(at(format!("string constant #{k} does not exist")))
            }
        };
        match *instr {
            Instr::LoadInt { dst, .. }
            | Instr::LoadFloat { dst, .. }
            | Instr::LoadBool { dst, .. }
            | Instr::LoadNone { dst } => reg(dst)?,
            Instr::LoadStr { dst, konst } => {
                reg(dst)?;
                string(konst)?;
            }
            Instr::Copy { dst, src } | Instr::Move { dst, src } => {
                reg(dst)?;
                reg(src)?;
            }
            Instr::Incref { reg: r } | Instr::Decref { reg: r } | Instr::Drop { reg: r } => reg(r)?,
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
            | Instr::Concat { dst, a, b, .. }
            | Instr::ICmp { dst, a, b, .. }
            | Instr::FCmp { dst, a, b, .. }
            | Instr::BCmp { dst, a, b, .. }
            | Instr::SCmp { dst, a, b, .. }
            | Instr::Equal { dst, a, b, .. } => {
                reg(dst)?;
                reg(a)?;
                reg(b)?;
            }
            Instr::IAddImm { dst, a: src, .. }
            | Instr::IMulImm { dst, a: src, .. }
            | Instr::INeg { dst, src }
            | Instr::FNeg { dst, src }
            | Instr::IToF { dst, src }
            | Instr::Not { dst, src }
            | Instr::IsNone { dst, src } => {
                reg(dst)?;
                reg(src)?;
            }
            Instr::Jump { target: t } => target(t)?,
            Instr::JumpIf { cond, target: t } | Instr::JumpIfNot { cond, target: t } => {
                reg(cond)?;
                target(t)?;
            }
            Instr::IDivImm { dst, a, imm } | Instr::IModImm { dst, a, imm } => {
                reg(dst)?;
                reg(a)?;
                if imm == 0 {
                    return Err(at("a zero immediate divisor".into()));
                }
            }
            Instr::JumpICmp {
                a, b, target: t, ..
            }
            | Instr::JumpFCmpNot {
                a, b, target: t, ..
            } => {
                reg(a)?;
                reg(b)?;
                target(t)?;
            }
            Instr::IncJumpICmp {
                a, b, target: t, ..
            } => {
                reg(a)?;
                reg(b)?;
                target(t)?;
            }
            Instr::ForStep {
                a,
                step,
                end,
                target: t,
            } => {
                reg(a)?;
                reg(step)?;
                reg(end)?;
                target(t)?;
            }
            Instr::FieldFMulAdd { obj, a, b, .. } | Instr::FieldFMulSub { obj, a, b, .. } => {
                reg(obj)?;
                reg(a)?;
                reg(b)?;
            }
            Instr::FMulAdd { dst, acc, a, b } | Instr::FMulSub { dst, acc, a, b } => {
                reg(dst)?;
                reg(acc)?;
                reg(a)?;
                reg(b)?;
            }
            Instr::FieldFSub { dst, a, b, .. } => {
                reg(dst)?;
                reg(a)?;
                reg(b)?;
            }
            Instr::FieldFMul { dst, obj, b, .. } => {
                reg(dst)?;
                reg(obj)?;
                reg(b)?;
            }
            Instr::JumpICmpImm { a, target: t, .. }
            | Instr::IncJumpICmpImm { a, target: t, .. } => {
                reg(a)?;
                target(t)?;
            }
            Instr::Call {
                dst,
                func,
                args,
                argc,
            } => {
                reg(dst)?;
                range(args, argc as usize)?;
                let Some(callee) = module.functions.get(func as usize) else {
                    return Err(at(format!("function #{func} does not exist")));
                };
                if callee.arity() != argc as usize {
                    return Err(at(format!(
                        "`{}` takes {} arguments, not {argc}",
                        callee.name,
                        callee.arity()
                    )));
                }
            }
            Instr::Ret { src } => reg(src)?,
            Instr::RetNone | Instr::ArenaExit => {}
            Instr::ArenaEnter { name } => string(name)?,
            Instr::NewStruct {
                dst,
                ty,
                args,
                argc,
                ..
            } => {
                reg(dst)?;
                range(args, argc as usize)?;
                let Some(info) = module.structs.get(ty as usize) else {
                    return Err(at(format!("struct type #{ty} does not exist")));
                };
                if info.fields.len() != argc as usize {
                    return Err(at(format!(
                        "`{}` has {} fields, not {argc}",
                        info.name,
                        info.fields.len()
                    )));
                }
            }
            Instr::GetField { dst, obj, .. } => {
                reg(dst)?;
                reg(obj)?;
            }
            Instr::SetField { obj, src, .. } => {
                reg(obj)?;
                reg(src)?;
            }
            Instr::NewList { dst, args, argc } => {
                reg(dst)?;
                range(args, argc as usize)?;
            }
            Instr::NewMap { dst, args, argc } => {
                reg(dst)?;
                range(args, 2 * argc as usize)?;
            }
            Instr::ListGet { dst, list, index } => {
                reg(dst)?;
                reg(list)?;
                reg(index)?;
            }
            Instr::ForList {
                dst,
                list,
                index,
                target: t,
            } => {
                reg(dst)?;
                reg(list)?;
                reg(index)?;
                target(t)?;
            }
            Instr::ListSet { list, index, src } => {
                reg(list)?;
                reg(index)?;
                reg(src)?;
            }
            Instr::Unwrap { dst, src, expr } => {
                reg(dst)?;
                reg(src)?;
                string(expr)?;
            }
            Instr::CallNative {
                dst, args, argc, ..
            } => {
                reg(dst)?;
                range(args, argc as usize)?;
            }
        }
    }
    Ok(())
}
