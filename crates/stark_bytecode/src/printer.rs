//! Text form of bytecode for `stark ir`: a header per function, one instruction a line, with
//! the compiler-inserted `incref`/`decref`/`drop` spelled out.

use crate::instr::{Function, Instr, Module, Reg};
use std::fmt::Write;

pub fn print_module(module: &Module) -> String {
    let mut out = String::new();
    for (i, f) in module.functions.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        print_function(module, f, &mut out);
    }
    out
}

fn reg(f: &Function, r: Reg) -> String {
    match f.reg_names.get(r as usize).and_then(|n| n.as_ref()) {
        Some(name) => format!("r{r}({name})"),
        None => format!("r{r}"),
    }
}

fn range(f: &Function, start: Reg, count: u16) -> String {
    (0..count)
        .map(|i| reg(f, start + i))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn print_function(module: &Module, f: &Function, out: &mut String) {
    let params: Vec<String> = f
        .param_modes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let prefix = match m {
                stark_syntax::ast::ParamMode::Owned => "",
                stark_syntax::ast::ParamMode::Borrowed => "&",
                stark_syntax::ast::ParamMode::BorrowedMut => "&mutable ",
            };
            format!("{prefix}{}", reg(f, i as Reg))
        })
        .collect();
    let _ = writeln!(
        out,
        "fn {}({}) regs={}:",
        f.name,
        params.join(", "),
        f.num_regs
    );
    for (i, instr) in f.code.iter().enumerate() {
        for site in f.inlined.iter().filter(|s| s.start as usize == i) {
            let name = module
                .functions
                .get(site.callee as usize)
                .map(|f| f.name.as_str())
                .unwrap_or("?");
            let _ = writeln!(
                out,
                "        ; inlined {name} (@{}..@{})",
                site.start, site.end
            );
        }
        let _ = writeln!(out, "  {i:4}  {}", instr_text(module, f, instr));
    }
}

pub fn instr_text(module: &Module, f: &Function, instr: &Instr) -> String {
    let r = |x: Reg| reg(f, x);
    let bin =
        |name: &str, dst: Reg, a: Reg, b: Reg| format!("{name:<12} {}, {}, {}", r(dst), r(a), r(b));
    match *instr {
        Instr::LoadInt { dst, value } => format!("{:<12} {}, {value}", "load_int", r(dst)),
        Instr::LoadFloat { dst, value } => format!("{:<12} {}, {value:?}", "load_float", r(dst)),
        Instr::LoadBool { dst, value } => format!("{:<12} {}, {value}", "load_bool", r(dst)),
        Instr::LoadNone { dst } => format!("{:<12} {}", "load_none", r(dst)),
        Instr::LoadStr { dst, konst } => {
            let s = module
                .strings
                .get(konst as usize)
                .map(String::as_str)
                .unwrap_or("");
            format!("{:<12} {}, {s:?}", "load_str", r(dst))
        }
        Instr::Copy { dst, src } => format!("{:<12} {}, {}", "copy", r(dst), r(src)),
        Instr::Move { dst, src } => format!("{:<12} {}, {}", "move", r(dst), r(src)),
        Instr::Incref { reg } => format!("{:<12} {}", "incref", r(reg)),
        Instr::Decref { reg } => format!("{:<12} {}", "decref", r(reg)),
        Instr::Drop { reg } => format!("{:<12} {}", "drop", r(reg)),
        Instr::IAdd { dst, a, b } => bin("iadd", dst, a, b),
        Instr::ISub { dst, a, b } => bin("isub", dst, a, b),
        Instr::IMul { dst, a, b } => bin("imul", dst, a, b),
        Instr::IDiv { dst, a, b } => bin("idiv", dst, a, b),
        Instr::IMod { dst, a, b } => bin("imod", dst, a, b),
        Instr::IPow { dst, a, b } => bin("ipow", dst, a, b),
        Instr::INeg { dst, src } => format!("{:<12} {}, {}", "ineg", r(dst), r(src)),
        Instr::ICmp { op, dst, a, b } => bin(&format!("icmp.{}", op.name()), dst, a, b),
        Instr::IAddImm { dst, a, imm } => format!("{:<12} {}, {}, {imm}", "iadd_imm", r(dst), r(a)),
        Instr::IMulImm { dst, a, imm } => format!("{:<12} {}, {}, {imm}", "imul_imm", r(dst), r(a)),
        Instr::IDivImm { dst, a, imm } => format!("{:<12} {}, {}, {imm}", "idiv_imm", r(dst), r(a)),
        Instr::IModImm { dst, a, imm } => format!("{:<12} {}, {}, {imm}", "imod_imm", r(dst), r(a)),
        Instr::FAdd { dst, a, b } => bin("fadd", dst, a, b),
        Instr::FSub { dst, a, b } => bin("fsub", dst, a, b),
        Instr::FMul { dst, a, b } => bin("fmul", dst, a, b),
        Instr::FDiv { dst, a, b } => bin("fdiv", dst, a, b),
        Instr::FMod { dst, a, b } => bin("fmod", dst, a, b),
        Instr::FPow { dst, a, b } => bin("fpow", dst, a, b),
        Instr::FNeg { dst, src } => format!("{:<12} {}, {}", "fneg", r(dst), r(src)),
        Instr::FCmp { op, dst, a, b } => bin(&format!("fcmp.{}", op.name()), dst, a, b),
        Instr::FMulAdd { dst, acc, a, b } => format!(
            "{:<12} {}, {} + {} * {}",
            "fmul_add",
            r(dst),
            r(acc),
            r(a),
            r(b)
        ),
        Instr::FMulSub { dst, acc, a, b } => format!(
            "{:<12} {}, {} - {} * {}",
            "fmul_sub",
            r(dst),
            r(acc),
            r(a),
            r(b)
        ),
        Instr::FieldFMulAdd { obj, field, a, b } => format!(
            "{:<12} {}.{field}, {} * {}",
            "field_fmul_add",
            r(obj),
            r(a),
            r(b)
        ),
        Instr::FieldFMulSub { obj, field, a, b } => format!(
            "{:<12} {}.{field}, {} * {}",
            "field_fmul_sub",
            r(obj),
            r(a),
            r(b)
        ),
        Instr::FieldFSub { dst, a, fa, b, fb } => format!(
            "{:<12} {}, {}.{fa} - {}.{fb}",
            "field_fsub",
            r(dst),
            r(a),
            r(b)
        ),
        Instr::FieldFMul { dst, obj, field, b } => format!(
            "{:<12} {}, {}.{field} * {}",
            "field_fmul",
            r(dst),
            r(obj),
            r(b)
        ),
        Instr::IToF { dst, src } => format!("{:<12} {}, {}", "itof", r(dst), r(src)),
        Instr::Not { dst, src } => format!("{:<12} {}, {}", "not", r(dst), r(src)),
        Instr::BCmp { op, dst, a, b } => bin(&format!("bcmp.{}", op.name()), dst, a, b),
        Instr::Concat { dst, a, b, take } => {
            let name = ["concat", "concat.take_a", "concat.take_b", "concat.take_ab"];
            bin(name[take as usize & 3], dst, a, b)
        }
        Instr::SCmp { op, dst, a, b } => bin(&format!("scmp.{}", op.name()), dst, a, b),
        Instr::Equal { dst, a, b, negate } => {
            bin(if negate { "not_equal" } else { "equal" }, dst, a, b)
        }
        Instr::IsNone { dst, src } => format!("{:<12} {}, {}", "is_none", r(dst), r(src)),
        Instr::Jump { target } => format!("{:<12} @{target}", "jump"),
        Instr::JumpIf { cond, target } => format!("{:<12} {}, @{target}", "jump_if", r(cond)),
        Instr::JumpIfNot { cond, target } => {
            format!("{:<12} {}, @{target}", "jump_if_not", r(cond))
        }
        Instr::JumpICmp { op, a, b, target } => {
            format!(
                "{:<12} {}, {}, @{target}",
                format!("jump_i{}", op.name()),
                r(a),
                r(b)
            )
        }
        Instr::JumpICmpImm { op, a, imm, target } => {
            format!(
                "{:<12} {}, {imm}, @{target}",
                format!("jump_i{}", op.name()),
                r(a)
            )
        }
        Instr::IncJumpICmp {
            op,
            a,
            imm,
            b,
            target,
        } => format!(
            "{:<12} {}, {imm}, {}, @{target}",
            format!("inc_jump_i{}", op.name()),
            r(a),
            r(b)
        ),
        Instr::IncJumpICmpImm {
            op,
            a,
            imm,
            limit,
            target,
        } => format!(
            "{:<12} {}, {imm}, {limit}, @{target}",
            format!("inc_jump_i{}", op.name()),
            r(a)
        ),
        Instr::ForStep {
            a,
            step,
            end,
            target,
        } => format!(
            "{:<12} {}, {}, {}, @{target}",
            "for_step",
            r(a),
            r(step),
            r(end)
        ),
        Instr::JumpFCmpNot { op, a, b, target } => {
            format!(
                "{:<12} {}, {}, @{target}",
                format!("jump_unless_f{}", op.name()),
                r(a),
                r(b)
            )
        }
        Instr::Call {
            dst,
            func,
            args,
            argc,
        } => {
            let name = module
                .functions
                .get(func as usize)
                .map(|f| f.name.as_str())
                .unwrap_or("?");
            format!(
                "{:<12} {}, {name}({})",
                "call",
                r(dst),
                range(f, args, argc)
            )
        }
        Instr::Ret { src } => format!("{:<12} {}", "ret", r(src)),
        Instr::RetNone => "ret_none".to_string(),
        Instr::NewStruct {
            dst,
            ty,
            args,
            argc,
            stack,
        } => {
            let name = module
                .structs
                .get(ty as usize)
                .map(|s| s.name.as_str())
                .unwrap_or("?");
            let kind = if stack { "stack" } else { "heap" };
            format!(
                "{:<12} {}, {name}({}) {kind}",
                "new_struct",
                r(dst),
                range(f, args, argc)
            )
        }
        Instr::GetField { dst, obj, field } => {
            format!("{:<12} {}, {}.{field}", "get_field", r(dst), r(obj))
        }
        Instr::SetField { obj, field, src } => {
            format!("{:<12} {}.{field}, {}", "set_field", r(obj), r(src))
        }
        Instr::NewList { dst, args, argc } => {
            format!("{:<12} {}, [{}]", "new_list", r(dst), range(f, args, argc))
        }
        Instr::NewMap { dst, args, argc } => {
            // `argc` counts key/value pairs.
            let pairs = range(f, args, argc.saturating_mul(2));
            format!("{:<12} {}, {{{pairs}}}", "new_map", r(dst))
        }
        Instr::ListGet { dst, list, index } => {
            format!("{:<12} {}, {}[{}]", "list_get", r(dst), r(list), r(index))
        }
        Instr::ForList {
            dst,
            list,
            index,
            target,
        } => format!(
            "{:<12} {}, {}[{}], @{target}",
            "for_list",
            r(dst),
            r(list),
            r(index)
        ),
        Instr::ListSet { list, index, src } => {
            format!("{:<12} {}[{}], {}", "list_set", r(list), r(index), r(src))
        }
        Instr::Unwrap { dst, src, .. } => format!("{:<12} {}, {}", "unwrap", r(dst), r(src)),
        Instr::ArenaEnter { name } => {
            let s = module
                .strings
                .get(name as usize)
                .map(String::as_str)
                .unwrap_or("?");
            format!("{:<12} {s}", "arena_enter")
        }
        Instr::ArenaExit => "arena_exit".to_string(),
        Instr::CallNative {
            dst,
            native: crate::native::Native::Spawn { func, quota },
            args,
            argc,
        } => {
            let name = module
                .functions
                .get(func as usize)
                .map(|f| f.name.as_str())
                .unwrap_or("?");
            let n = argc - u16::from(quota);
            let q = if quota {
                format!(" quota={}", r(args + n))
            } else {
                String::new()
            };
            format!(
                "{:<12} {}, {name}({}){q}",
                "spawn",
                r(dst),
                range(f, args, n)
            )
        }
        Instr::CallNative {
            dst,
            native: crate::native::Native::DataDims { op, rank },
            args,
            argc,
        } => {
            let rank = u16::from(rank).min(argc);
            let rest = range(f, args + rank, argc - rank);
            format!(
                "{:<12} {}, {}([{}]{}{rest})",
                "call_native",
                r(dst),
                op.name(),
                range(f, args, rank),
                if rest.is_empty() { "" } else { ", " }
            )
        }
        Instr::CallNative {
            dst,
            native,
            args,
            argc,
        } => {
            format!(
                "{:<12} {}, {}({})",
                "call_native",
                r(dst),
                native.name(),
                range(f, args, argc)
            )
        }
    }
}

/// Per-function RC operation counts for `stark ir --stats`.
pub fn rc_ops(f: &Function) -> usize {
    f.code
        .iter()
        .filter(|i| {
            matches!(
                i,
                Instr::Incref { .. } | Instr::Decref { .. } | Instr::Drop { .. }
            )
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use stark_syntax::Span;

    #[test]
    fn new_map_prints_every_key_and_value() {
        let f = Function {
            name: "f".into(),
            param_modes: Vec::new(),
            num_regs: 5,
            code: Vec::new(),
            spans: Vec::new(),
            reg_names: vec![None; 5],
            span: Span::default(),
            inlined: Vec::new(),
        };
        let m = Module {
            functions: Vec::new(),
            structs: Vec::new(),
            strings: Vec::new(),
            main: 0,
        };
        let text = instr_text(
            &m,
            &f,
            &Instr::NewMap {
                dst: 0,
                args: 1,
                argc: 2,
            },
        );
        assert!(text.ends_with("r0, {r1, r2, r3, r4}"), "{text}");
    }
}
