//! `const`s (SPEC §7: evaluated once per program). A `const`'s initializer is a literal or
//! arithmetic on literals (E0029), so lowering computes its value once, here, and every use
//! loads that value: an Int, Float or Bool immediate, or a string constant of the module
//! (allocated once by the VM, immortal, shared by every use; docs/decisions.md, "Modules").
//! An initializer this cannot compute exactly as the VM would (one that fails at run time:
//! an Int overflow, a division by zero) or one whose result is larger than
//! [`MAX_FOLDED_STR`] is evaluated where used, as an expression, so it fails there.

use super::FnLower;
use stark_bytecode::instr::{Instr, Reg};
use stark_check::Ty;
use stark_syntax::ast::{BinOp, Expr, ExprKind, Item, UnOp};
use stark_syntax::Span;

/// The longest string a `const` folds to; a longer one is built where it is used.
const MAX_FOLDED_STR: usize = 1 << 20;

/// A `const`'s value, computed by the compiler.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ConstVal {
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    Str(String),
}

impl FnLower<'_> {
    /// The value of `const` number `c`, if its initializer folds (see the module doc).
    pub(crate) fn const_value(&self, c: usize) -> Option<ConstVal> {
        let info = &self.ck.consts[c];
        let Item::Const(decl) = &self.program.items[info.item] else {
            return None;
        };
        match (self.fold(&decl.value)?, &info.ty) {
            (ConstVal::Int(i), Ty::Float) => Some(ConstVal::Float(i as f64)),
            (v, _) => Some(v),
        }
    }

    /// Loads a folded value into `dst`: a view (immediates, an immortal string constant).
    pub(crate) fn load_const(&mut self, v: ConstVal, dst: Reg, span: Span) {
        let instr = match v {
            ConstVal::Int(value) => Instr::LoadInt { dst, value },
            ConstVal::Float(value) => Instr::LoadFloat { dst, value },
            ConstVal::Bool(value) => Instr::LoadBool { dst, value },
            ConstVal::None => Instr::LoadNone { dst },
            ConstVal::Str(s) => {
                let konst = self.strings.intern(&s);
                Instr::LoadStr { dst, konst }
            }
        };
        self.emit(instr, span);
    }

    fn fold(&self, e: &Expr) -> Option<ConstVal> {
        use ConstVal as V;
        let float = self.ty(e) == Ty::Float;
        let v = match &e.kind {
            ExprKind::Int(i) => V::Int(*i),
            ExprKind::Float(f) => V::Float(*f),
            ExprKind::Bool(b) => V::Bool(*b),
            ExprKind::None => V::None,
            ExprKind::Str(s) => V::Str(s.clone()),
            ExprKind::Unary(UnOp::Neg, x) => match self.fold(x)? {
                V::Int(i) => V::Int(i.checked_neg()?),
                V::Float(f) => V::Float(-f),
                _ => return None,
            },
            ExprKind::Unary(UnOp::Not, x) => match self.fold(x)? {
                V::Bool(b) => V::Bool(!b),
                _ => return None,
            },
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.fold(a)?, self.fold(b)?);
                let as_float = |v: &V| match v {
                    V::Int(i) => Some(*i as f64),
                    V::Float(f) => Some(*f),
                    _ => None,
                };
                match (op, &x, &y) {
                    (BinOp::Add, V::Str(s), V::Str(t)) => {
                        (s.len() + t.len() <= MAX_FOLDED_STR).then(|| V::Str(format!("{s}{t}")))?
                    }
                    (BinOp::Mul, V::Str(s), V::Int(n)) | (BinOp::Mul, V::Int(n), V::Str(s)) => {
                        let n = (*n).max(0) as usize;
                        let len = s.len().checked_mul(n)?;
                        (len <= MAX_FOLDED_STR).then(|| V::Str(s.repeat(n)))?
                    }
                    (BinOp::Add | BinOp::Sub | BinOp::Mul, V::Int(i), V::Int(j)) if !float => {
                        V::Int(match op {
                            BinOp::Add => i.checked_add(*j)?,
                            BinOp::Sub => i.checked_sub(*j)?,
                            _ => i.checked_mul(*j)?,
                        })
                    }
                    (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div, _, _) if float => {
                        let (p, q) = (as_float(&x)?, as_float(&y)?);
                        V::Float(match op {
                            BinOp::Add => p + q,
                            BinOp::Sub => p - q,
                            BinOp::Mul => p * q,
                            _ => p / q,
                        })
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(match v {
            V::Int(i) if float => V::Float(i as f64),
            v => v,
        })
    }
}
