//! Load-time bytecode verification. The dispatch loop indexes registers without bounds
//! checks; this pass is what makes that sound: every register operand (and operand range) of
//! every instruction lies inside its function's frame (V1), control never leaves the code —
//! it ends in a jump or return and every jump lands on an instruction (V2) — and every
//! function, struct and constant index exists.
//!
//! The register operands, ranges and targets checked are the instruction table's
//! (`Instr::visit_operands`, `Instr::target`, `Instr::falls_through`), so no instruction
//! can have an operand the optimisers see and the verifier does not; the other index
//! operands (constants, callees, struct types, divisors) are checked here by hand.

use stark_bytecode::instr::Role;
use stark_bytecode::{Function, Instr, Module};

/// Checks the whole module; the error names the function and instruction.
pub(crate) fn verify_module(module: &Module) -> Result<(), String> {
    let nfuncs = module.functions.len();
    if module.main as usize >= nfuncs {
        return Err(format!("main function #{} does not exist", module.main));
    }
    // A struct header packs its type id and field count into 16 bits each.
    let limit = stark_runtime::header::MAX_STRUCT_TYPES;
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
    let parts: Vec<Option<u16>> = module.functions.iter().map(ret_parts).collect();
    for (i, f) in module.functions.iter().enumerate() {
        verify_function(module, f, &parts, parts[i])
            .map_err(|e| format!("in `{}`: {e}", f.name))?;
    }
    Ok(())
}

/// `parts[g]`: what function `g` returns (`ret_parts`); `own` is `f`'s.
fn verify_function(
    module: &Module,
    f: &Function,
    parts: &[Option<u16>],
    own: Option<u16>,
) -> Result<(), String> {
    let nregs = f.num_regs as usize;
    if nregs < f.arity() {
        return Err(format!("{} registers for {} parameters", nregs, f.arity()));
    }
    let code_len = f.code.len();
    // V2: control cannot run off the end (the dispatch loop fetches without a bounds check).
    if f.code.last().is_none_or(Instr::falls_through) {
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
        // V1, from the table: the first operand outside the frame, if any.
        let mut outside = None;
        instr.visit_operands(|r, role| {
            let end = match role {
                Role::Range(n) => r as usize + n as usize,
                _ => r as usize + 1,
            };
            if end > nregs && outside.is_none() {
                outside = Some((r, role));
            }
        });
        match outside {
            Some((r, Role::Range(n))) => {
                return Err(at(format!(
                    "registers r{r}..+{n} outside a frame of {nregs}"
                )))
            }
            Some((r, _)) => return Err(at(format!("register r{r} outside a frame of {nregs}"))),
            None => {}
        }
        if let Some(t) = instr.target() {
            target(t)?;
        }
        match *instr {
            Instr::LoadStr { konst: k, .. }
            | Instr::Unwrap { expr: k, .. }
            | Instr::ArenaEnter { name: k } => string(k)?,
            Instr::IDivImm { imm: 0, .. } | Instr::IModImm { imm: 0, .. } => {
                return Err(at("a zero immediate divisor".into()));
            }
            // V2 for a `switch`: it goes to one of the `count` entries after it, so they
            // must exist and each be a `case` jump.
            Instr::Switch { count, .. } => {
                let table = f.code.get(pc + 1..=pc + usize::from(count));
                let whole = count > 0
                    && table.is_some_and(|t| t.iter().all(|c| matches!(c, Instr::Case { .. })));
                if !whole {
                    return Err(at(format!(
                        "a switch must be followed by its {count} case entries"
                    )));
                }
            }
            // A call receives what its callee returns: one value (`call`) or as many as
            // every `ret_multi` of the callee hands back (`call_multi`).
            Instr::RetMulti { n, .. } if n as usize > MAX_RET_PARTS || Some(n) != own => {
                return Err(at(format!(
                    "returns {n} values in a function returning {own:?}"
                )));
            }
            Instr::Ret { .. } | Instr::RetNone if own.is_some() => {
                return Err(at(
                    "one value returned by a function returning several".into()
                ));
            }
            Instr::Call { func, .. } | Instr::CallMulti { func, .. }
                if parts.get(func as usize).is_some_and(|p| {
                    *p != match *instr {
                        Instr::CallMulti { n, .. } => Some(n),
                        _ => None,
                    }
                }) =>
            {
                return Err(at(format!("does not take what function #{func} returns")));
            }
            Instr::Call { func, argc, .. } | Instr::CallMulti { func, argc, .. } => {
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
            Instr::CallNative {
                native:
                    stark_bytecode::Native::FormatSpecs { fmt }
                    | stark_bytecode::Native::PrintFormatSpecs { fmt },
                argc,
                ..
            } => match module.formats.get(fmt as usize) {
                Some(specs) if specs.len() != argc as usize => {
                    return Err(at(format!(
                        "format #{fmt} has {} parts, not {argc}",
                        specs.len()
                    )))
                }
                Some(specs) => {
                    nested_fields_fit(specs).map_err(|why| at(format!("format #{fmt}: {why}")))?
                }
                None => return Err(at(format!("format #{fmt} does not exist"))),
            },
            Instr::LoadFunc { func, .. } if func as usize >= module.functions.len() => {
                return Err(at(format!("function #{func} does not exist")));
            }
            Instr::NewStruct { ty, argc, .. } => {
                let Some(info) = module.structs.get(ty as usize) else {
                    return Err(at(format!("struct type #{ty} does not exist")));
                };
                // A tuple's arity is its object's field count (any, at least one).
                let tuple = ty == stark_bytecode::instr::builtin_types::TUPLE;
                if tuple && argc == 0 {
                    return Err(at("a tuple has at least one part".to_string()));
                }
                if !tuple && info.fields.len() != argc as usize {
                    return Err(at(format!(
                        "`{}` has {} fields, not {argc}",
                        info.name,
                        info.fields.len()
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

pub use stark_bytecode::instr::MAX_RET_PARTS;

/// How many values `f` returns when it returns a tuple as values (`ret_multi`), `None` when
/// it returns one value. A function's `ret_multi`s must agree (checked where each is).
fn ret_parts(f: &stark_bytecode::Function) -> Option<u16> {
    f.code.iter().find_map(|i| match *i {
        Instr::RetMulti { n, .. } => Some(n),
        _ => None,
    })
}

/// A nested spec's fields are the operands right after its own, and none of them has a
/// nested spec itself: the formatter reads them so without checking.
fn nested_fields_fit(specs: &[stark_syntax::FieldFormat]) -> Result<(), String> {
    let mut i = 0;
    while i < specs.len() {
        let n = specs[i].nested_fields();
        let fields = specs
            .get(i + 1..i + 1 + n)
            .ok_or_else(|| format!("operand {i}'s spec has {n} fields past the operands"))?;
        if fields
            .iter()
            .any(|f| matches!(f.spec, stark_syntax::FieldSpec::Nested(_)))
        {
            return Err(format!("a field of operand {i}'s spec nests another"));
        }
        i += 1 + n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::nested_fields_fit;
    use stark_syntax::{FieldFormat, FieldSpec};

    fn nested(pieces: Vec<Option<&str>>) -> FieldFormat {
        FieldFormat {
            lit: String::new(),
            conv: None,
            spec: FieldSpec::Nested(pieces.into_iter().map(|p| p.map(String::from)).collect()),
        }
    }

    #[test]
    fn nested_fields_must_follow_their_operand() {
        let plain = FieldFormat::default();
        let two = nested(vec![Some(">"), None, Some("."), None]);
        assert!(
            nested_fields_fit(&[plain.clone(), two.clone(), plain.clone(), plain.clone()]).is_ok()
        );
        assert!(nested_fields_fit(&[two.clone(), plain.clone()]).is_err());
        assert!(nested_fields_fit(&[nested(vec![None]), two, plain.clone(), plain]).is_err());
    }
}
