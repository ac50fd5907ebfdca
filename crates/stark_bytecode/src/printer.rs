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
    if f.generic {
        let _ = writeln!(
            out,
            "fn {}: generic, lowered once for each list of type arguments it is called with",
            f.name
        );
        return;
    }
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

/// An instruction's name: the table's mnemonic, with the comparison in place of `{op}`, and
/// the variant the operands select (`concat.take_a`, `not_equal`).
pub fn instr_name(instr: &Instr) -> String {
    let m = instr.mnemonic();
    match *instr {
        Instr::ICmp { op, .. }
        | Instr::FCmp { op, .. }
        | Instr::BCmp { op, .. }
        | Instr::SCmp { op, .. }
        | Instr::JumpICmp { op, .. }
        | Instr::JumpICmpImm { op, .. }
        | Instr::IncJumpICmp { op, .. }
        | Instr::IncJumpICmpImm { op, .. }
        | Instr::JumpFCmpNot { op, .. } => m.replace("{op}", op.name()),
        Instr::Concat { take, .. } => {
            format!(
                "{m}{}",
                ["", ".take_a", ".take_b", ".take_ab"][take as usize & 3]
            )
        }
        Instr::Equal { negate: true, .. } => format!("not_{m}"),
        _ => m.to_string(),
    }
}

/// `name(r1, r2)`: a call's callee and arguments.
fn call_text(module: &Module, f: &Function, func: u32, args: Reg, argc: u16) -> String {
    let name = module
        .functions
        .get(func as usize)
        .map_or("?", |g| g.name.as_str());
    format!("{name}({})", range(f, args, argc))
}

/// One instruction as `stark ir` prints it: the name, then the operands in the layout each
/// kind reads best in (`r1.2` for a field, `r1[r2]` for an element, `f(r1, r2)` for a call).
pub fn instr_text(module: &Module, f: &Function, instr: &Instr) -> String {
    let r = |x: Reg| reg(f, x);
    let n = instr_name(instr);
    let string = |k: u32| module.strings.get(k as usize).map(String::as_str);
    match *instr {
        Instr::LoadInt { dst, value } => format!("{n:<12} {}, {value}", r(dst)),
        Instr::LoadFunc { dst, func } => {
            let name = module.functions.get(func as usize).map_or("?", |g| &g.name);
            format!("{n:<12} {}, {name}", r(dst))
        }
        Instr::LoadFloat { dst, value } => format!("{n:<12} {}, {value:?}", r(dst)),
        Instr::LoadBool { dst, value } => format!("{n:<12} {}, {value}", r(dst)),
        Instr::LoadStr { dst, konst } => {
            format!("{n:<12} {}, {:?}", r(dst), string(konst).unwrap_or(""))
        }
        Instr::LoadNone { dst } => format!("{n:<12} {}", r(dst)),
        Instr::Incref { reg } | Instr::Decref { reg } | Instr::Drop { reg } => {
            format!("{n:<12} {}", r(reg))
        }
        Instr::Copy { dst, src }
        | Instr::Move { dst, src }
        | Instr::INeg { dst, src }
        | Instr::FNeg { dst, src }
        | Instr::IToF { dst, src }
        | Instr::Not { dst, src }
        | Instr::IsNone { dst, src }
        | Instr::StrLen { dst, s: src }
        | Instr::StrIsDigit { dst, s: src }
        | Instr::Unwrap { dst, src, .. } => format!("{n:<12} {}, {}", r(dst), r(src)),
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
        | Instr::Concat { dst, a, b, .. }
        | Instr::StrStartsWith {
            dst,
            s: a,
            prefix: b,
        }
        | Instr::StrEndsWith {
            dst,
            s: a,
            suffix: b,
        }
        | Instr::Equal { dst, a, b, .. } => format!("{n:<12} {}, {}, {}", r(dst), r(a), r(b)),
        Instr::IAddImm { dst, a, imm }
        | Instr::IMulImm { dst, a, imm }
        | Instr::IDivImm { dst, a, imm }
        | Instr::IModImm { dst, a, imm } => format!("{n:<12} {}, {}, {imm}", r(dst), r(a)),
        Instr::FMulAdd { dst, acc, a, b } => {
            format!("{n:<12} {}, {} + {} * {}", r(dst), r(acc), r(a), r(b))
        }
        Instr::FMulSub { dst, acc, a, b } => {
            format!("{n:<12} {}, {} - {} * {}", r(dst), r(acc), r(a), r(b))
        }
        Instr::FieldFMulAdd { obj, field, a, b } | Instr::FieldFMulSub { obj, field, a, b } => {
            format!("{n:<12} {}.{field}, {} * {}", r(obj), r(a), r(b))
        }
        Instr::FieldFSub { dst, a, fa, b, fb } => {
            format!("{n:<12} {}, {}.{fa} - {}.{fb}", r(dst), r(a), r(b))
        }
        Instr::FieldFMul { dst, obj, field, b } => {
            format!("{n:<12} {}, {}.{field} * {}", r(dst), r(obj), r(b))
        }
        Instr::Jump { target } | Instr::Case { target } => format!("{n:<12} @{target}"),
        Instr::Switch { src, base, count } => {
            let name = |t: u32| {
                module
                    .structs
                    .get(t as usize)
                    .map_or("?", |s| s.name.as_str())
            };
            let first = name(base);
            let last = name(base + u32::from(count).saturating_sub(1));
            format!("{n:<12} {}, {first}..{last}", r(src))
        }
        Instr::JumpUnlessType { src, ty, target } => {
            let name = module
                .structs
                .get(ty as usize)
                .map_or("?", |s| s.name.as_str());
            format!("{n:<12} {}, {name}, @{target}", r(src))
        }
        Instr::JumpIf { cond, target }
        | Instr::JumpIfNot { cond, target }
        | Instr::JumpUnlessIsDigit { s: cond, target } => {
            format!("{n:<12} {}, @{target}", r(cond))
        }
        Instr::JumpUnlessStartsWith {
            s: a,
            prefix: b,
            target,
        }
        | Instr::JumpUnlessEndsWith {
            s: a,
            suffix: b,
            target,
        } => format!("{n:<12} {}, {}, @{target}", r(a), r(b)),
        Instr::JumpICmp { a, b, target, .. } | Instr::JumpFCmpNot { a, b, target, .. } => {
            format!("{n:<12} {}, {}, @{target}", r(a), r(b))
        }
        Instr::JumpICmpImm { a, imm, target, .. } => format!("{n:<12} {}, {imm}, @{target}", r(a)),
        Instr::IncJumpICmp {
            a, imm, b, target, ..
        } => format!("{n:<12} {}, {imm}, {}, @{target}", r(a), r(b)),
        Instr::IncJumpICmpImm {
            a,
            imm,
            limit,
            target,
            ..
        } => format!("{n:<12} {}, {imm}, {limit}, @{target}", r(a)),
        Instr::ForStep {
            a,
            step,
            end,
            target,
        } => format!("{n:<12} {}, {}, {}, @{target}", r(a), r(step), r(end)),
        Instr::Call {
            dst,
            func,
            args,
            argc,
        } => format!(
            "{n:<12} {}, {}",
            r(dst),
            call_text(module, f, func, args, argc)
        ),
        Instr::CallMulti {
            dst,
            n: parts,
            func,
            args,
            argc,
        } => {
            let call = call_text(module, f, func, args, argc);
            format!("{n:<12} ({}), {call}", range(f, dst, parts))
        }
        Instr::CallValue { dst, args, argc } => {
            format!("{n:<12} {}, ({})", r(dst), range(f, args, argc))
        }
        Instr::RetMulti { src, n: parts } => format!("{n:<12} ({})", range(f, src, parts)),
        Instr::Ret { src } => format!("{n:<12} {}", r(src)),
        Instr::RetNone | Instr::ArenaExit => n,
        Instr::NewStruct {
            dst,
            ty,
            args,
            argc,
            stack,
        } => {
            let info = module.structs.get(ty as usize);
            let name = info.map(|s| s.name.as_str()).unwrap_or("?");
            // A closure that borrows its captures (SPEC §7) says so.
            let kind = match (stack, info.is_some_and(|s| s.views)) {
                (true, true) => "stack borrows",
                (true, false) => "stack",
                _ => "heap",
            };
            format!(
                "{n:<12} {}, {name}({}) {kind}",
                r(dst),
                range(f, args, argc)
            )
        }
        Instr::GetField { dst, obj, field } => format!("{n:<12} {}, {}.{field}", r(dst), r(obj)),
        Instr::SetField { obj, field, src } => format!("{n:<12} {}.{field}, {}", r(obj), r(src)),
        Instr::NewList { dst, args, argc } => {
            format!("{n:<12} {}, [{}]", r(dst), range(f, args, argc))
        }
        Instr::NewMap { dst, args, argc } => {
            // `argc` counts key/value pairs.
            let pairs = range(f, args, argc.saturating_mul(2));
            format!("{n:<12} {}, {{{pairs}}}", r(dst))
        }
        Instr::ListGet { dst, list, index } => {
            format!("{n:<12} {}, {}[{}]", r(dst), r(list), r(index))
        }
        Instr::ForList {
            dst,
            list,
            index,
            target,
        }
        | Instr::ForListNext {
            dst,
            list,
            index,
            target,
        } => format!("{n:<12} {}, {}[{}], @{target}", r(dst), r(list), r(index)),
        Instr::ForSplit { dst, state, target } => format!(
            "{n:<12} {}, {}.split({}) from {}, @{target}",
            r(dst),
            r(state),
            r(state.wrapping_add(1)),
            r(state.wrapping_add(2))
        ),
        Instr::ListSet { list, index, src } => {
            format!("{n:<12} {}[{}], {}", r(list), r(index), r(src))
        }
        Instr::ArenaEnter { name } => format!("{n:<12} {}", string(name).unwrap_or("?")),
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
            let k = argc - u16::from(quota);
            let q = if quota {
                format!(" quota={}", r(args + k))
            } else {
                String::new()
            };
            format!(
                "{:<12} {}, {name}({}){q}",
                "spawn",
                r(dst),
                range(f, args, k)
            )
        }
        // An f-string's literal text kept in its format (`FieldFormat::lit`) is shown
        // before the operand it precedes.
        Instr::CallNative {
            dst,
            native:
                native @ (crate::native::Native::FormatSpecs { fmt }
                | crate::native::Native::PrintFormatSpecs { fmt }),
            args,
            argc,
        } => {
            let specs = module.formats.get(fmt as usize);
            let operands: Vec<String> = (0..argc)
                .map(|i| {
                    let lit = specs
                        .and_then(|s| s.get(usize::from(i)))
                        .map_or("", |s| s.lit.as_str());
                    match lit {
                        "" => r(args + i),
                        lit => format!("{lit:?} {}", r(args + i)),
                    }
                })
                .collect();
            format!(
                "{n:<12} {}, {}({})",
                r(dst),
                native.name(),
                operands.join(", ")
            )
        }
        Instr::CallNative {
            dst,
            native: crate::native::Native::TensorReuse { op, taken },
            args,
            argc,
        } => format!(
            "{n:<12} {}, {}.{}({})",
            r(dst),
            op.ir_name(),
            if taken == 0 { "take_a" } else { "take_b" },
            range(f, args, argc)
        ),
        Instr::CallNative {
            dst,
            native: crate::native::Native::DataDims { op, rank },
            args,
            argc,
        } => {
            let rank = u16::from(rank).min(argc);
            let rest = range(f, args + rank, argc - rank);
            format!(
                "{n:<12} {}, {}([{}]{}{rest})",
                r(dst),
                op.ir_name(),
                range(f, args, rank),
                if rest.is_empty() { "" } else { ", " }
            )
        }
        Instr::CallNative {
            dst,
            native,
            args,
            argc,
        } => format!(
            "{n:<12} {}, {}({})",
            r(dst),
            native.name(),
            range(f, args, argc)
        ),
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
            generic: false,
        };
        let m = Module {
            functions: Vec::new(),
            structs: Vec::new(),
            strings: Vec::new(),
            formats: Vec::new(),
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
