//! Linking a recompiled module onto the one a running session holds (`stark repl`).
//!
//! A REPL session's values outlive the module that made them: a struct's header holds its
//! type id, a closure's field 0 holds its function's id, and a destructor is found by type
//! id. Each entry is compiled with the session's definitions (not its earlier lines, which
//! never run again), and the compiler numbers functions and types in an order that an
//! added item can shift (lambdas and generic instances follow every declared function;
//! closure layouts follow every declared type). So the new module is linked onto the
//! previous one here: every function and type the previous module had keeps its id, found
//! by its key (its name, and which of the same-named ones it is), and what is new is
//! appended after. What the new module lacks (an earlier line's function, its lambdas, its
//! types) is carried over as it was, with its string constants and formats added to the
//! new module's tables. Ids only ever grow, as in a module that only grows.
//!
//! An id appears as an operand of `call`, `call_multi`, `load_func`, `spawn`, `new_struct`,
//! `switch` and `jump_unless_type`, in an inline site, as a destructor and as `main`; a
//! closure's function id is data only through `load_func`, which is why that instruction
//! exists. A string index appears in `load_str`, `unwrap` and `arena_enter`, a format index
//! in the two format-spec natives.

use crate::instr::{FuncId, Function, Instr, Module, StructInfo, TypeId};
use crate::native::Native;
use std::collections::HashMap;

/// `names[i]`'s key: the name, and how many earlier entries have the same one.
fn keys<'a>(names: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    names
        .map(|n| {
            let k = seen.entry(n).or_insert(0);
            *k += 1;
            (n, *k - 1)
        })
        .collect()
}

/// For each entry of `next`, its id in the linked module: the previous id of the same key,
/// or the next free one after `prev`'s. Also which of `prev`'s entries `next` lacks.
fn renumber(prev: &[(&str, usize)], next: &[(&str, usize)]) -> (Vec<u32>, Vec<bool>) {
    let old: HashMap<(&str, usize), u32> = prev
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, i as u32))
        .collect();
    let mut fresh = prev.len() as u32;
    let mut present = vec![false; prev.len()];
    let map = next
        .iter()
        .map(|k| match old.get(k) {
            Some(&id) => {
                present[id as usize] = true;
                id
            }
            None => {
                fresh += 1;
                fresh - 1
            }
        })
        .collect();
    (map, present)
}

/// Renumbers `next`, compiled from `prev`'s definitions and a new entry, so that every
/// function and type of `prev` keeps its id, and carries over what `next` lacks. `Err`
/// when the renumbering would split an enum's variants (a compiler change that broke the
/// order these keys rely on, reported rather than run).
pub fn link(prev: &Module, next: Module) -> Result<Module, String> {
    let (fmap, fpresent) = renumber(
        &keys(prev.functions.iter().map(|f| f.name.as_str())),
        &keys(next.functions.iter().map(|f| f.name.as_str())),
    );
    let (tmap, tpresent) = renumber(
        &keys(prev.structs.iter().map(|s| s.name.as_str())),
        &keys(next.structs.iter().map(|s| s.name.as_str())),
    );
    let f = |id: FuncId| fmap.get(id as usize).copied().unwrap_or(id);
    let t = |id: TypeId| tmap.get(id as usize).copied().unwrap_or(id);
    let Module {
        functions,
        structs,
        mut strings,
        mut formats,
        main,
    } = next;
    let total_functions = prev.functions.len()
        + fmap
            .iter()
            .filter(|&&i| i as usize >= prev.functions.len())
            .count();
    let total_structs = prev.structs.len()
        + tmap
            .iter()
            .filter(|&&i| i as usize >= prev.structs.len())
            .count();
    let mut out_functions: Vec<Option<Function>> = (0..total_functions).map(|_| None).collect();
    for (i, mut func) in functions.into_iter().enumerate() {
        for instr in &mut func.code {
            match instr {
                Instr::Call { func, .. }
                | Instr::CallMulti { func, .. }
                | Instr::LoadFunc { func, .. }
                | Instr::CallNative {
                    native: Native::Spawn { func, .. },
                    ..
                } => *func = f(*func),
                Instr::NewStruct { ty, .. } | Instr::JumpUnlessType { ty, .. } => *ty = t(*ty),
                Instr::Switch { base, count, .. } => {
                    let first = t(*base);
                    let contiguous = (0..u32::from(*count)).all(|k| t(*base + k) == first + k);
                    if !contiguous {
                        return Err(format!(
                            "the variants of `{}` would not stay together",
                            structs.get(*base as usize).map_or("?", |s| s.name.as_str())
                        ));
                    }
                    *base = first;
                }
                _ => {}
            }
        }
        for site in &mut func.inlined {
            site.callee = f(site.callee);
        }
        out_functions[fmap[i] as usize] = Some(func);
    }
    // What only `prev` has keeps its code; its ids are `prev`'s, which kept their meaning.
    let mut string_ids: HashMap<String, u32> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as u32))
        .collect();
    let mut format_ids: HashMap<usize, u32> = HashMap::new();
    for (i, func) in prev.functions.iter().enumerate() {
        if fpresent[i] {
            continue;
        }
        let mut func = func.clone();
        let mut string = |k: &mut u32| {
            let text = prev.strings.get(*k as usize).cloned().unwrap_or_default();
            *k = *string_ids.entry(text.clone()).or_insert_with(|| {
                strings.push(text);
                (strings.len() - 1) as u32
            });
        };
        for instr in &mut func.code {
            match instr {
                Instr::LoadStr { konst: k, .. }
                | Instr::Unwrap { expr: k, .. }
                | Instr::ArenaEnter { name: k } => string(k),
                Instr::CallNative {
                    native: Native::FormatSpecs { fmt } | Native::PrintFormatSpecs { fmt },
                    ..
                } => {
                    *fmt = *format_ids.entry(*fmt as usize).or_insert_with(|| {
                        formats.push(prev.formats.get(*fmt as usize).cloned().unwrap_or_default());
                        (formats.len() - 1) as u32
                    });
                }
                _ => {}
            }
        }
        out_functions[i] = Some(func);
    }
    let mut out_structs: Vec<Option<StructInfo>> = (0..total_structs).map(|_| None).collect();
    for (i, mut s) in structs.into_iter().enumerate() {
        s.destructor = s.destructor.map(f);
        out_structs[tmap[i] as usize] = Some(s);
    }
    for (i, s) in prev.structs.iter().enumerate() {
        if !tpresent[i] {
            out_structs[i] = Some(s.clone());
        }
    }
    Ok(Module {
        functions: out_functions
            .into_iter()
            .map(|x| x.expect("every id is filled"))
            .collect(),
        structs: out_structs
            .into_iter()
            .map(|x| x.expect("every id is filled"))
            .collect(),
        strings,
        formats,
        main: f(main),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instr::{Function, StructInfo};
    use stark_syntax::Span;

    fn func(name: &str, code: Vec<Instr>) -> Function {
        Function {
            name: name.into(),
            param_modes: Vec::new(),
            num_regs: 2,
            spans: vec![Span::default(); code.len()],
            code,
            reg_names: Vec::new(),
            span: Span::default(),
            inlined: Vec::new(),
            generic: false,
        }
    }

    fn layout(name: &str) -> StructInfo {
        StructInfo {
            name: name.into(),
            fields: vec!["f".into()],
            destructor: None,
            variant: false,
            views: false,
        }
    }

    fn module(functions: Vec<Function>, structs: Vec<StructInfo>) -> Module {
        Module {
            functions,
            structs,
            strings: Vec::new(),
            formats: Vec::new(),
            main: 0,
        }
    }

    #[test]
    fn what_existed_keeps_its_id_and_what_is_new_is_appended() {
        // Before: `line1` and its lambda. After: `line2` was declared, so the compiler put
        // it before the lambda (lambdas follow declared functions) and a new struct before
        // the closure layout.
        let prev = module(
            vec![
                func("line1", vec![Instr::LoadFunc { dst: 0, func: 1 }]),
                func("line1.<lambda>", vec![Instr::RetNone]),
            ],
            vec![layout("P"), layout("<closure>")],
        );
        let next = module(
            vec![
                func("line1", vec![Instr::LoadFunc { dst: 0, func: 2 }]),
                func(
                    "line2",
                    vec![
                        Instr::Call {
                            dst: 0,
                            func: 2,
                            args: 0,
                            argc: 0,
                        },
                        Instr::NewStruct {
                            dst: 0,
                            ty: 1,
                            args: 0,
                            argc: 1,
                            stack: false,
                        },
                    ],
                ),
                func("line1.<lambda>", vec![Instr::RetNone]),
            ],
            vec![layout("P"), layout("Q"), layout("<closure>")],
        );
        let linked = link(&prev, next).unwrap();
        let names: Vec<_> = linked.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["line1", "line1.<lambda>", "line2"]);
        assert_eq!(
            linked.functions[0].code[0],
            Instr::LoadFunc { dst: 0, func: 1 }
        );
        assert!(matches!(
            linked.functions[2].code[0],
            Instr::Call { func: 1, .. }
        ));
        assert!(matches!(
            linked.functions[2].code[1],
            Instr::NewStruct { ty: 2, .. }
        ));
        let types: Vec<_> = linked.structs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(types, ["P", "<closure>", "Q"]);
    }

    #[test]
    fn what_the_new_module_lacks_is_carried_over_with_its_strings() {
        let mut prev = module(
            vec![
                func("a", vec![]),
                func(
                    "line1",
                    vec![
                        Instr::LoadStr { dst: 0, konst: 1 },
                        Instr::NewStruct {
                            dst: 0,
                            ty: 0,
                            args: 0,
                            argc: 1,
                            stack: false,
                        },
                    ],
                ),
            ],
            vec![layout("Keep1")],
        );
        prev.strings = vec!["x".into(), "hello".into()];
        let mut next = module(
            vec![
                func("a", vec![]),
                func("line2", vec![Instr::LoadStr { dst: 0, konst: 0 }]),
            ],
            vec![layout("Keep2")],
        );
        next.strings = vec!["bye".into()];
        let linked = link(&prev, next).unwrap();
        let names: Vec<_> = linked.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "line1", "line2"]);
        let types: Vec<_> = linked.structs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(types, ["Keep1", "Keep2"]);
        let Instr::LoadStr { konst, .. } = linked.functions[1].code[0] else {
            panic!("a load_str")
        };
        assert_eq!(linked.strings[konst as usize], "hello");
        assert!(matches!(
            linked.functions[1].code[1],
            Instr::NewStruct { ty: 0, .. }
        ));
    }
}
