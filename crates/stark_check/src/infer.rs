//! Type inference variables and unification. Only a few expressions create variables
//! (`[]`, `{}`, `List()`, `Map()`, a `let` bound to `None`); everything else is known locally.

use crate::types::{Ty, TyVar};

#[derive(Default)]
pub struct Infer {
    vars: Vec<Option<Ty>>,
    /// While a trial unification runs (`try_unify`), the variables it bound, so that a
    /// failure can unbind them.
    trail: Option<Vec<TyVar>>,
}

impl Infer {
    /// Unifies `a` and `b` if they can be made equal, and otherwise changes nothing (the
    /// variables a failed attempt bound are unbound again).
    pub fn try_unify(&mut self, a: &Ty, b: &Ty) -> bool {
        let outer = self.trail.replace(Vec::new());
        let ok = self.unify(a, b);
        let bound = std::mem::replace(&mut self.trail, outer).unwrap_or_default();
        if !ok {
            for v in bound {
                self.vars[v as usize] = None;
            }
        } else if let Some(trail) = &mut self.trail {
            trail.extend(bound);
        }
        ok
    }

    pub fn fresh(&mut self) -> Ty {
        self.vars.push(None);
        Ty::Var((self.vars.len() - 1) as TyVar)
    }

    /// Follows variable bindings at the top level only.
    pub fn shallow(&self, ty: &Ty) -> Ty {
        let mut ty = ty.clone();
        while let Ty::Var(v) = ty {
            match &self.vars[v as usize] {
                Some(bound) => ty = bound.clone(),
                None => return ty,
            }
        }
        ty
    }

    /// Substitutes every bound variable; unbound ones stay `Var`.
    pub fn resolve(&self, ty: &Ty) -> Ty {
        match self.shallow(ty) {
            Ty::List(t) => Ty::List(Box::new(self.resolve(&t))),
            Ty::Map(k, v) => Ty::Map(Box::new(self.resolve(&k)), Box::new(self.resolve(&v))),
            Ty::Optional(t) => self.resolve(&t).optional(),
            Ty::Weak(t) => Ty::Weak(Box::new(self.resolve(&t))),
            Ty::Task(t) => Ty::Task(Box::new(self.resolve(&t))),
            Ty::Tuple(parts) => Ty::Tuple(parts.iter().map(|p| self.resolve(p)).collect()),
            Ty::Enum(id, args) => Ty::Enum(id, args.iter().map(|p| self.resolve(p)).collect()),
            Ty::Struct(id, args) => Ty::Struct(id, args.iter().map(|p| self.resolve(p)).collect()),
            Ty::Fn(ps, r) => Ty::Fn(
                ps.iter().map(|p| self.resolve(p)).collect(),
                Box::new(self.resolve(&r)),
            ),
            other => other,
        }
    }

    /// Like `resolve`, but an unconstrained variable becomes `default`.
    pub fn resolve_or(&self, ty: &Ty, default: &Ty) -> Ty {
        match self.shallow(ty) {
            Ty::Var(_) => default.clone(),
            Ty::List(t) => Ty::List(Box::new(self.resolve_or(&t, default))),
            Ty::Map(k, v) => Ty::Map(
                Box::new(self.resolve_or(&k, default)),
                Box::new(self.resolve_or(&v, default)),
            ),
            Ty::Optional(t) => self.resolve_or(&t, default).optional(),
            Ty::Weak(t) => Ty::Weak(Box::new(self.resolve_or(&t, default))),
            Ty::Task(t) => Ty::Task(Box::new(self.resolve_or(&t, default))),
            Ty::Tuple(parts) => {
                Ty::Tuple(parts.iter().map(|p| self.resolve_or(p, default)).collect())
            }
            Ty::Enum(id, args) => Ty::Enum(
                id,
                args.iter().map(|p| self.resolve_or(p, default)).collect(),
            ),
            Ty::Struct(id, args) => Ty::Struct(
                id,
                args.iter().map(|p| self.resolve_or(p, default)).collect(),
            ),
            Ty::Fn(ps, r) => Ty::Fn(
                ps.iter().map(|p| self.resolve_or(p, default)).collect(),
                Box::new(self.resolve_or(&r, default)),
            ),
            other => other,
        }
    }

    pub fn has_vars(&self, ty: &Ty) -> bool {
        match self.shallow(ty) {
            Ty::Var(_) => true,
            Ty::List(t) | Ty::Optional(t) | Ty::Weak(t) | Ty::Task(t) => self.has_vars(&t),
            Ty::Map(k, v) => self.has_vars(&k) || self.has_vars(&v),
            Ty::Tuple(parts) | Ty::Enum(_, parts) | Ty::Struct(_, parts) => {
                parts.iter().any(|p| self.has_vars(p))
            }
            Ty::Fn(ps, r) => self.has_vars(&r) || ps.iter().any(|p| self.has_vars(p)),
            _ => false,
        }
    }

    fn occurs(&self, v: TyVar, ty: &Ty) -> bool {
        match self.shallow(ty) {
            Ty::Var(w) => v == w,
            Ty::List(t) | Ty::Optional(t) | Ty::Weak(t) | Ty::Task(t) => self.occurs(v, &t),
            Ty::Map(k, val) => self.occurs(v, &k) || self.occurs(v, &val),
            Ty::Tuple(parts) | Ty::Enum(_, parts) | Ty::Struct(_, parts) => {
                parts.iter().any(|p| self.occurs(v, p))
            }
            Ty::Fn(ps, r) => self.occurs(v, &r) || ps.iter().any(|p| self.occurs(v, p)),
            _ => false,
        }
    }

    /// Makes two types equal, binding variables; false if they cannot be.
    pub fn unify(&mut self, a: &Ty, b: &Ty) -> bool {
        let (a, b) = (self.shallow(a), self.shallow(b));
        match (&a, &b) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Var(x), Ty::Var(y)) if x == y => true,
            (Ty::Var(x), other) | (other, Ty::Var(x)) => {
                if self.occurs(*x, other) {
                    return false;
                }
                // A variable meeting the bare `None` literal becomes an optional of a new one.
                let bound = if *other == Ty::NoneLit {
                    self.fresh().optional()
                } else {
                    other.clone()
                };
                self.vars[*x as usize] = Some(bound);
                if let Some(trail) = &mut self.trail {
                    trail.push(*x);
                }
                true
            }
            (Ty::NoneLit, Ty::Optional(_)) | (Ty::Optional(_), Ty::NoneLit) => true,
            // `None` is the one value of the type `None` (SPEC §6: `let z: None = None`).
            (Ty::NoneLit, Ty::Unit) | (Ty::Unit, Ty::NoneLit) => true,
            // `Ok(None)` where a `Result<None, E>` is expected: the literal made its part
            // an optional of an unknown type, which is `None`'s type itself.
            (Ty::Optional(x), Ty::Unit) | (Ty::Unit, Ty::Optional(x)) => self.unify(x, &Ty::Unit),
            (Ty::List(x), Ty::List(y)) | (Ty::Optional(x), Ty::Optional(y)) => self.unify(x, y),
            (Ty::Weak(x), Ty::Weak(y)) | (Ty::Task(x), Ty::Task(y)) => self.unify(x, y),
            (Ty::Map(k1, v1), Ty::Map(k2, v2)) => self.unify(k1, k2) && self.unify(v1, v2),
            (Ty::Enum(i, x), Ty::Enum(j, y)) | (Ty::Struct(i, x), Ty::Struct(j, y)) if i == j => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .fold(true, |ok, (p, q)| self.unify(p, q) && ok)
            }
            (Ty::Fn(xp, xr), Ty::Fn(yp, yr)) => {
                xp.len() == yp.len()
                    && xp
                        .iter()
                        .zip(yp)
                        .fold(self.unify(xr, yr), |ok, (p, q)| self.unify(p, q) && ok)
            }
            (Ty::Tuple(x), Ty::Tuple(y)) => {
                // Every part is unified, so one mismatch does not leave the rest unbound.
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .fold(true, |ok, (p, q)| self.unify(p, q) && ok)
            }
            _ => a == b,
        }
    }

    /// Whether a value of type `from` is accepted where `to` is expected: equal types, an Int
    /// where a Float is expected, `None` or a `T` where a `T?` is expected, and a `T?` where a
    /// `T` is expected (unwrapped at run time, SPEC §2).
    pub fn coerce(&mut self, from: &Ty, to: &Ty) -> bool {
        let (from, to) = (self.shallow(from), self.shallow(to));
        match (&from, &to) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Int, Ty::Float) => true,
            (Ty::NoneLit, Ty::Optional(_)) => true,
            (Ty::Optional(f), Ty::Optional(t)) => self.unify(f, t),
            (Ty::Var(_), _) | (_, Ty::Var(_)) => self.unify(&from, &to),
            // A part may gain a `?` (same representation), never change it (no Int → Float
            // inside an already-built tuple).
            (Ty::Tuple(fs), Ty::Tuple(ts)) if fs.len() == ts.len() => {
                fs.iter().zip(ts).fold(true, |ok, (f, t)| {
                    let part = match (self.shallow(f), self.shallow(t)) {
                        (Ty::NoneLit, Ty::Optional(_)) => true,
                        (Ty::Optional(_), Ty::Optional(_)) => self.unify(f, t),
                        (Ty::Tuple(_), Ty::Tuple(_)) => self.coerce(f, t),
                        (_, Ty::Optional(inner)) => self.unify(f, &inner),
                        _ => self.unify(f, t),
                    };
                    part && ok
                })
            }
            (_, Ty::Optional(t)) => self.coerce(&from, t),
            (Ty::Optional(f), _) => self.unify(f, &to),
            _ => self.unify(&from, &to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(t: Ty) -> Ty {
        Ty::List(Box::new(t))
    }

    #[test]
    fn unify_binds_a_variable_through_structure() {
        let mut inf = Infer::default();
        let v = inf.fresh();
        assert!(inf.unify(&list(v.clone()), &list(Ty::Int)));
        assert_eq!(inf.resolve(&v), Ty::Int);
        assert!(!inf.unify(&list(v), &list(Ty::Str)));
    }

    #[test]
    fn occurs_check_rejects_infinite_types() {
        let mut inf = Infer::default();
        let v = inf.fresh();
        assert!(!inf.unify(&v, &list(v.clone())));
    }

    #[test]
    fn none_meeting_a_variable_makes_it_optional() {
        let mut inf = Infer::default();
        let v = inf.fresh();
        assert!(inf.unify(&v, &Ty::NoneLit));
        assert!(matches!(inf.resolve(&v), Ty::Optional(_)));
    }

    #[test]
    fn coercions_follow_the_spec() {
        let mut inf = Infer::default();
        assert!(inf.coerce(&Ty::Int, &Ty::Float));
        assert!(!inf.coerce(&Ty::Float, &Ty::Int));
        assert!(inf.coerce(&Ty::NoneLit, &Ty::Int.optional()));
        assert!(inf.coerce(&Ty::Str, &Ty::Str.optional()));
        // A `T?` is accepted where a `T` is expected (unwrapped at run time).
        assert!(inf.coerce(&Ty::Str.optional(), &Ty::Str));
        assert!(!inf.coerce(&Ty::Str, &Ty::Int));
    }

    #[test]
    fn unresolved_variables_default() {
        let mut inf = Infer::default();
        let v = inf.fresh();
        assert_eq!(inf.resolve_or(&list(v), &Ty::Int), list(Ty::Int));
    }
}
