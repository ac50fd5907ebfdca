//! Shared test helpers: parse-and-assert, and a compact S-expression rendering of the AST
//! so precedence and structure can be checked in one string comparison.

#![allow(dead_code)]

use stark_syntax::ast::*;
use stark_syntax::Diagnostic;

/// Parses `src` and fails the test on any diagnostic.
pub fn parse_ok(src: &str) -> Program {
    let (program, diags) = stark_syntax::parse(src);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {src:?}: {diags:#?}"
    );
    program
}

pub fn codes(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code).collect()
}

/// The body of `fn main():` in `src`.
pub fn main_body(src: &str) -> Vec<Stmt> {
    let program = parse_ok(src);
    match program.items.into_iter().next() {
        Some(Item::Fn(f)) => f.body.stmts,
        other => panic!("expected a fn, got {other:?}"),
    }
}

/// Parses `e` as the expression statement of a one-line main and renders it.
pub fn expr(e: &str) -> String {
    let stmts = main_body(&format!("fn main():\n    {e}\n"));
    match &stmts[0].kind {
        StmtKind::Expr(e) => sexpr(e),
        other => panic!("expected an expression statement, got {other:?}"),
    }
}

pub fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::FStr(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    FStrPart::Lit(s) => format!("{s:?}"),
                    FStrPart::Expr(e) => format!("{{{}}}", sexpr(e)),
                    FStrPart::Spec(spec, _) => format!("(spec {:?} {:?})", spec.ty, spec.width),
                    FStrPart::Conv(c) => format!("(conv {c:?})"),
                    FStrPart::NestedSpec { pieces, .. } => {
                        let pieces: Vec<String> = pieces
                            .iter()
                            .map(|p| match p {
                                SpecPart::Lit(s) => format!("{s:?}"),
                                SpecPart::Field { expr, conv, spec } => format!(
                                    "{{{}{}{}}}",
                                    sexpr(expr),
                                    conv.map_or(String::new(), |c| format!(" (conv {c:?})")),
                                    spec.as_ref().map_or(String::new(), |(s, _)| format!(
                                        " (spec {:?})",
                                        s.text
                                    ))
                                ),
                            })
                            .collect();
                        format!("(nested {})", pieces.join(" "))
                    }
                })
                .collect();
            format!("(f {})", parts.join(" "))
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::None => "None".into(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::List(items) => format!("[{}]", join(items)),
        ExprKind::Tuple(items) => format!("(tuple {})", join(items)),
        ExprKind::Comp(c) => {
            let key = c
                .key
                .as_ref()
                .map(|k| format!("{}: ", sexpr(k)))
                .unwrap_or_default();
            let cond = c
                .cond
                .as_ref()
                .map(|k| format!(" if {}", sexpr(k)))
                .unwrap_or_default();
            format!("(comp {key}{} in {}{cond})", sexpr(&c.elem), sexpr(&c.iter))
        }
        ExprKind::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", sexpr(k), sexpr(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        ExprKind::Unary(UnOp::Neg, e) => format!("(neg {})", sexpr(e)),
        ExprKind::Unary(UnOp::Not, e) => format!("(not {})", sexpr(e)),
        ExprKind::Try(e) => format!("(? {})", sexpr(e)),
        ExprKind::Binary(op, l, r) => format!("({} {} {})", op.symbol(), sexpr(l), sexpr(r)),
        ExprKind::Compare { first, rest } => {
            let rest: Vec<String> = rest
                .iter()
                .map(|(op, e)| format!(" {} {}", op.symbol(), sexpr(e)))
                .collect();
            format!("(chain {}{})", sexpr(first), rest.concat())
        }
        ExprKind::IfElse {
            cond,
            then,
            otherwise,
        } => format!("(if {} {} {})", sexpr(cond), sexpr(then), sexpr(otherwise)),
        ExprKind::Call { callee, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!(" {}={}", n.name, sexpr(&a.value)),
                    None => format!(" {}", sexpr(&a.value)),
                })
                .collect();
            format!("(call {}{})", sexpr(callee), args.concat())
        }
        ExprKind::Field(base, name) => format!("(. {} {})", sexpr(base), name.name),
        ExprKind::Index(base, idx) => format!("(index {} {})", sexpr(base), join(idx)),
        ExprKind::Slice { lo, hi, step } => {
            let part = |p: &Option<Box<Expr>>| p.as_ref().map_or("_".to_string(), |e| sexpr(e));
            format!("(slice {} {} {})", part(lo), part(hi), part(step))
        }
        ExprKind::Spawn { call, quota } => match quota {
            Some(q) => format!("(spawn {} quota={})", sexpr(call), sexpr(q)),
            None => format!("(spawn {})", sexpr(call)),
        },
        ExprKind::Lambda { params, body } => {
            let names: Vec<&str> = params.iter().map(|p| p.name.name.as_str()).collect();
            format!("(fn [{}] {})", names.join(" "), sexpr(body))
        }
        ExprKind::Error(parts) if parts.is_empty() => "<error>".into(),
        ExprKind::Error(parts) => format!("<error {}>", join(parts)),
    }
}

fn join(items: &[Expr]) -> String {
    items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
}

/// Every expression id in the program, in any order.
pub fn all_ids(program: &Program) -> Vec<u32> {
    let mut ids = Vec::new();
    for item in &program.items {
        match item {
            Item::Fn(f) => fn_ids(f, &mut ids),
            Item::Struct(s) => s.methods.iter().for_each(|m| fn_ids(m, &mut ids)),
            Item::Enum(en) => en.methods.iter().for_each(|m| fn_ids(m, &mut ids)),
            Item::Const(c) => expr_ids(&c.value, &mut ids),
        }
    }
    ids
}

fn fn_ids(f: &FnDecl, ids: &mut Vec<u32>) {
    for p in &f.params {
        if let Some(d) = &p.default {
            expr_ids(d, ids);
        }
    }
    block_ids(&f.body, ids);
}

fn block_ids(block: &Block, ids: &mut Vec<u32>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Let { value, .. } | StmtKind::LetTuple { value, .. } => expr_ids(value, ids),
            StmtKind::Assign { target, value, .. } => {
                expr_ids(target, ids);
                expr_ids(value, ids);
            }
            StmtKind::Expr(e) => expr_ids(e, ids),
            StmtKind::If {
                branches,
                else_block,
            } => {
                for (c, b) in branches {
                    expr_ids(c, ids);
                    block_ids(b, ids);
                }
                if let Some(b) = else_block {
                    block_ids(b, ids);
                }
            }
            StmtKind::While { cond, body } => {
                expr_ids(cond, ids);
                block_ids(body, ids);
            }
            StmtKind::For { iter, body, .. } => {
                expr_ids(iter, ids);
                block_ids(body, ids);
            }
            StmtKind::Return(Some(e)) => expr_ids(e, ids),
            StmtKind::Arena { body, .. } => block_ids(body, ids),
            StmtKind::Match { subject, arms } => {
                expr_ids(subject, ids);
                for arm in arms {
                    case_ids(&arm.pattern, ids);
                    if let Some(g) = &arm.guard {
                        expr_ids(g, ids);
                    }
                    block_ids(&arm.body, ids);
                }
            }
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Pass => {}
        }
    }
}

fn case_ids(p: &CasePattern, ids: &mut Vec<u32>) {
    match p {
        CasePattern::Literal(e) => expr_ids(e, ids),
        CasePattern::Variant { args, .. } => args.iter().for_each(|a| case_ids(&a.pattern, ids)),
        CasePattern::Tuple(parts, _) | CasePattern::Or(parts, _) => {
            parts.iter().for_each(|q| case_ids(q, ids))
        }
        CasePattern::Wild(_) | CasePattern::Name(_) => {}
    }
}

fn expr_ids(e: &Expr, ids: &mut Vec<u32>) {
    ids.push(e.id.0);
    match &e.kind {
        ExprKind::FStr(parts) => parts
            .iter()
            .flat_map(FStrPart::exprs)
            .for_each(|e| expr_ids(e, ids)),
        ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Error(items) => {
            items.iter().for_each(|e| expr_ids(e, ids))
        }
        ExprKind::Comp(c) => {
            for e in [&c.iter, &c.elem].into_iter().chain(&c.key).chain(&c.cond) {
                expr_ids(e, ids);
            }
        }
        ExprKind::Map(entries) => entries.iter().for_each(|(k, v)| {
            expr_ids(k, ids);
            expr_ids(v, ids);
        }),
        ExprKind::Unary(_, e) | ExprKind::Try(e) => expr_ids(e, ids),
        ExprKind::Binary(_, l, r) => {
            expr_ids(l, ids);
            expr_ids(r, ids);
        }
        ExprKind::Call { callee, args } => {
            expr_ids(callee, ids);
            args.iter().for_each(|a| expr_ids(&a.value, ids));
        }
        ExprKind::Compare { first, rest } => {
            expr_ids(first, ids);
            rest.iter().for_each(|(_, e)| expr_ids(e, ids));
        }
        ExprKind::IfElse {
            cond,
            then,
            otherwise,
        } => {
            expr_ids(then, ids);
            expr_ids(cond, ids);
            expr_ids(otherwise, ids);
        }
        ExprKind::Field(b, _) => expr_ids(b, ids),
        ExprKind::Index(b, idx) => {
            expr_ids(b, ids);
            idx.iter().for_each(|e| expr_ids(e, ids));
        }
        ExprKind::Slice { lo, hi, step } => {
            for p in [lo, hi, step].into_iter().flatten() {
                expr_ids(p, ids);
            }
        }
        ExprKind::Spawn { call, quota } => {
            expr_ids(call, ids);
            if let Some(q) = quota {
                expr_ids(q, ids);
            }
        }
        _ => {}
    }
}
