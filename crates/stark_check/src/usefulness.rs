//! Exhaustiveness and reachability of `match` (SPEC §6) by the usefulness algorithm of
//! Maranget, "Warnings for pattern matching" (JFP 2007).
//!
//! A pattern vector `q` is *useful* against a matrix of earlier rows when some value matches
//! `q` and no row. An arm is unreachable when its pattern is not useful against the unguarded
//! arms before it; a `match` is exhaustive when `_` is not useful against all its unguarded
//! arms. The search specializes the matrix by one constructor of the first column at a time
//! (or drops the column through the default matrix), and the constructors of a column come
//! from its type, computed when the column is reached: a recursive enum is only unfolded as
//! deep as the patterns go. The value it finds on the way (the witness) is the missing pattern
//! the diagnostic names.

use crate::results::TPat;
use crate::types::{EnumDef, EnumId, FieldDef, StructDef, Ty};
use std::cell::Cell;
use std::fmt::Write;

pub struct MatchReport {
    /// One value no arm matches, rendered as a user writes a pattern, or None when exhaustive.
    pub missing: Option<String>,
    /// Indices of arms that can never match (because earlier unguarded arms cover them).
    pub unreachable: Vec<usize>,
}

/// `arms[i] = (pattern, has_guard)`. A guarded arm never counts toward covering later arms or
/// exhaustiveness, but is itself checked for reachability.
///
/// When the subject's type, or the type at any position the analysis reaches, is unknown
/// (`Ty::Error`, an unresolved `Ty::Var`), or a pattern does not fit the type at its position,
/// the report is empty: a mistake already reported must not come back as a coverage warning.
pub fn analyze(
    structs: &[StructDef],
    enums: &[EnumDef],
    subject: &Ty,
    arms: &[(TPat, bool)],
) -> MatchReport {
    let cx = Cx {
        structs,
        enums,
        unknown: Cell::new(false),
    };
    let silent = MatchReport {
        missing: None,
        unreachable: Vec::new(),
    };
    let Some(pats) = arms
        .iter()
        .map(|(p, _)| cx.lower(p, subject))
        .collect::<Option<Vec<Pat>>>()
    else {
        return silent;
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut unreachable = Vec::new();
    for (i, (pat, (_, guarded))) in pats.iter().zip(arms).enumerate() {
        if cx
            .useful(rows.clone(), vec![pat], vec![subject.clone()])
            .is_none()
        {
            unreachable.push(i);
        } else if !guarded {
            // An arm already covered adds nothing to the matrix, so only useful ones go in.
            rows.push(vec![pat]);
        }
    }
    let missing = cx
        .useful(rows, vec![&WILD], vec![subject.clone()])
        .and_then(|w| w.into_iter().next())
        .map(|w| {
            let mut out = String::new();
            cx.render(&w, &mut out);
            out
        });
    if cx.unknown.get() {
        return silent;
    }
    MatchReport {
        missing,
        unreachable,
    }
}

/// A constructor: what the first column of a row tests before looking at the parts.
#[derive(Clone, Debug, PartialEq)]
enum Ctor {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    None,
    Some,
    Variant { enum_id: EnumId, variant: u32 },
    Tuple(usize),
}

/// A `TPat` checked against its type: names are wildcards, nested alternatives are flat.
#[derive(Debug)]
enum Pat {
    Wild,
    Ctor(Ctor, Vec<Pat>),
    Or(Vec<Pat>),
}

static WILD: Pat = Pat::Wild;

/// One row of the matrix, or the vector under test. Stored last column first, so taking the
/// first column is a `pop` and its parts are pushed in its place.
type Row<'p> = Vec<&'p Pat>;

/// A value no row matches, in the same shape as the patterns (`Wild`: any value).
#[derive(Clone, Debug)]
enum Wit {
    Wild,
    Ctor(Ctor, Vec<Wit>),
}

enum Domain {
    /// Every value is built by one of these, in declaration order.
    Finite(Vec<Ctor>),
    /// Literals never cover the type (Int, Float, String), or no pattern can look inside it.
    Infinite,
}

/// A step taken on the way down, undone on the witness on the way back.
enum Undo {
    /// The first column was dropped (default matrix); this value stands for it.
    Head(Wit),
    /// The first column was replaced by the parts of this constructor.
    Ctor(Ctor, usize),
}

struct Cx<'t> {
    structs: &'t [StructDef],
    enums: &'t [EnumDef],
    /// Set when the analysis met an unknown type: its findings would be guesses.
    unknown: Cell<bool>,
}

impl Cx<'_> {
    fn variant_fields(&self, enum_id: EnumId, variant: u32) -> Option<&[FieldDef]> {
        let v = self
            .enums
            .get(enum_id as usize)?
            .variants
            .get(variant as usize)?;
        Some(&self.structs.get(v.strukt as usize)?.fields)
    }

    fn arity(&self, c: &Ctor) -> usize {
        match c {
            Ctor::Some => 1,
            Ctor::Tuple(n) => *n,
            Ctor::Variant { enum_id, variant } => self
                .variant_fields(*enum_id, *variant)
                .map_or(0, <[_]>::len),
            _ => 0,
        }
    }

    /// The types of `c`'s parts at a position of type `ty`.
    fn field_tys(&self, ty: &Ty, c: &Ctor) -> Vec<Ty> {
        match (ty, c) {
            (Ty::Optional(inner), Ctor::Some) => vec![(**inner).clone()],
            (Ty::Tuple(parts), Ctor::Tuple(n)) if parts.len() == *n => parts.clone(),
            (Ty::Enum(id, args), Ctor::Variant { enum_id, variant }) if id == enum_id => {
                match self.variant_fields(*enum_id, *variant) {
                    Some(fields) => fields.iter().map(|f| f.ty.subst(args)).collect(),
                    None => vec![Ty::Error; self.arity(c)],
                }
            }
            // Only under an unknown type (`lower` rejects every other mismatch); `Error`
            // parts keep the analysis silent.
            _ => vec![Ty::Error; self.arity(c)],
        }
    }

    fn domain(&self, ty: &Ty) -> Domain {
        match ty {
            Ty::Bool => Domain::Finite(vec![Ctor::Bool(false), Ctor::Bool(true)]),
            Ty::Optional(_) => Domain::Finite(vec![Ctor::None, Ctor::Some]),
            Ty::NoneLit => Domain::Finite(vec![Ctor::None]),
            Ty::Tuple(parts) => Domain::Finite(vec![Ctor::Tuple(parts.len())]),
            Ty::Enum(id, _) => match self.enums.get(*id as usize) {
                Some(def) => Domain::Finite(
                    (0..def.variants.len() as u32)
                        .map(|variant| Ctor::Variant {
                            enum_id: *id,
                            variant,
                        })
                        .collect(),
                ),
                None => {
                    self.unknown.set(true);
                    Domain::Infinite
                }
            },
            Ty::Error | Ty::Var(_) => {
                self.unknown.set(true);
                Domain::Infinite
            }
            _ => Domain::Infinite,
        }
    }

    /// `c`'s position in `domain(ty)`'s list, for a constructor of that domain.
    fn sig_index(c: &Ctor) -> usize {
        match c {
            Ctor::Bool(b) => usize::from(*b),
            Ctor::Some => 1,
            Ctor::Variant { variant, .. } => *variant as usize,
            _ => 0,
        }
    }

    fn fits(&self, c: &Ctor, ty: &Ty) -> bool {
        match (c, ty) {
            (_, Ty::Error | Ty::Var(_)) => true,
            (Ctor::Bool(_), Ty::Bool) | (Ctor::Int(_), Ty::Int) => true,
            (Ctor::Float(_), Ty::Float) | (Ctor::Str(_), Ty::Str) => true,
            (Ctor::None, Ty::Optional(_) | Ty::NoneLit) | (Ctor::Some, Ty::Optional(_)) => true,
            (Ctor::Variant { enum_id, variant }, Ty::Enum(id, _)) => {
                id == enum_id && self.variant_fields(*enum_id, *variant).is_some()
            }
            (Ctor::Tuple(n), Ty::Tuple(parts)) => parts.len() == *n,
            _ => false,
        }
    }

    /// `p` as a pattern of type `ty`, or None when it does not fit (the checker reported
    /// that already). Walks only as deep as the pattern, so recursive types are fine.
    fn lower(&self, p: &TPat, ty: &Ty) -> Option<Pat> {
        if matches!(ty, Ty::Error | Ty::Var(_)) {
            self.unknown.set(true);
        }
        let (ctor, parts): (Ctor, &[TPat]) = match p {
            TPat::Wild | TPat::Bind(_) => return Some(Pat::Wild),
            TPat::Or(alts) => {
                let mut flat = Vec::with_capacity(alts.len());
                for alt in alts {
                    match self.lower(alt, ty)? {
                        Pat::Or(inner) => flat.extend(inner),
                        other => flat.push(other),
                    }
                }
                return Some(Pat::Or(flat));
            }
            TPat::Bool(b) => (Ctor::Bool(*b), &[]),
            // `case 1:` on a Float compares as 1.0 at run time.
            TPat::Int(n) if *ty == Ty::Float => (Ctor::Float(*n as f64), &[]),
            TPat::Int(n) => (Ctor::Int(*n), &[]),
            TPat::Float(x) => (Ctor::Float(*x), &[]),
            TPat::Str(s) => (Ctor::Str(s.clone()), &[]),
            TPat::None => (Ctor::None, &[]),
            TPat::Some(inner) => (Ctor::Some, std::slice::from_ref(&**inner)),
            TPat::Variant {
                enum_id,
                variant,
                fields,
            } => (
                Ctor::Variant {
                    enum_id: *enum_id,
                    variant: *variant,
                },
                fields,
            ),
            TPat::Tuple(parts) => (Ctor::Tuple(parts.len()), parts),
        };
        if !self.fits(&ctor, ty) {
            return None;
        }
        let tys = self.field_tys(ty, &ctor);
        if tys.len() != parts.len() {
            return None;
        }
        let args = parts
            .iter()
            .zip(&tys)
            .map(|(p, t)| self.lower(p, t))
            .collect::<Option<Vec<_>>>()?;
        Some(Pat::Ctor(ctor, args))
    }

    /// A witness that `q` is useful against `rows` (one value per column of `q`, in `Row`
    /// order), or None when every value `q` matches is matched by some row. `tys` holds the
    /// column types in the same order.
    ///
    /// Steps that leave one subproblem (a constructor in `q`, a tuple, the default matrix,
    /// the last alternative) loop instead of recursing, so the recursion depth is the number
    /// of branch points (alternatives in `q`, finite columns whose constructors all occur)
    /// along one path, not the size of the patterns.
    fn useful<'p>(
        &self,
        mut rows: Vec<Row<'p>>,
        mut q: Row<'p>,
        mut tys: Vec<Ty>,
    ) -> Option<Vec<Wit>> {
        let mut undo: Vec<Undo> = Vec::new();
        let mut w = loop {
            let Some(head) = q.pop() else {
                // No columns left: `q` matches the empty value, which any remaining row does too.
                if rows.is_empty() {
                    break Vec::new();
                }
                return None;
            };
            let ty = tys.pop().unwrap_or(Ty::Error);
            match head {
                Pat::Or(alts) => {
                    let (last, init) = alts.split_last()?;
                    let found = init.iter().find_map(|alt| {
                        let (mut q, mut tys) = (q.clone(), tys.clone());
                        q.push(alt);
                        tys.push(ty.clone());
                        self.useful(rows.clone(), q, tys)
                    });
                    if let Some(w) = found {
                        break w;
                    }
                    q.push(last);
                    tys.push(ty);
                }
                Pat::Ctor(c, args) => {
                    rows = self.specialize(&rows, &mut q, &mut tys, &ty, c, Some(args.as_slice()));
                    undo.push(Undo::Ctor(c.clone(), args.len()));
                }
                Pat::Wild => match self.domain(&ty) {
                    Domain::Finite(sig) => {
                        let mut seen = vec![false; sig.len()];
                        for row in &rows {
                            if let Some(head) = row.last() {
                                for_each_ctor(head, &mut |c| {
                                    if let Some(s) = seen.get_mut(Self::sig_index(c)) {
                                        *s = true;
                                    }
                                });
                            }
                        }
                        if let Some(gap) = seen.iter().position(|s| !s) {
                            // A constructor no row names is matched by `_` and no row, as
                            // soon as the other columns are missing too (default matrix).
                            // With no constructor named at all, `_` says it best.
                            let wit = if seen.contains(&true) {
                                let c = sig[gap].clone();
                                let n = self.arity(&c);
                                Wit::Ctor(c, vec![Wit::Wild; n])
                            } else {
                                Wit::Wild
                            };
                            rows = default(&rows);
                            undo.push(Undo::Head(wit));
                        } else {
                            // Every constructor occurs: a missing value is missing under one
                            // of them, tried in declaration order so messages are stable.
                            let (last, init) = sig.split_last()?;
                            let found = init.iter().find_map(|c| {
                                let (mut q, mut tys) = (q.clone(), tys.clone());
                                let rows = self.specialize(&rows, &mut q, &mut tys, &ty, c, None);
                                let mut w = self.useful(rows, q, tys)?;
                                rebuild(&mut w, Undo::Ctor(c.clone(), self.arity(c)));
                                Some(w)
                            });
                            if let Some(w) = found {
                                break w;
                            }
                            rows = self.specialize(&rows, &mut q, &mut tys, &ty, last, None);
                            undo.push(Undo::Ctor(last.clone(), self.arity(last)));
                        }
                    }
                    Domain::Infinite => {
                        rows = default(&rows);
                        undo.push(Undo::Head(Wit::Wild));
                    }
                },
            }
        };
        while let Some(step) = undo.pop() {
            rebuild(&mut w, step);
        }
        Some(w)
    }

    /// Replaces the first column of `q` (already popped; of type `ty`) by the parts of `c`
    /// (`args`, or wildcards) and returns the rows whose first column can be `c`, likewise
    /// opened up.
    fn specialize<'p>(
        &self,
        rows: &[Row<'p>],
        q: &mut Row<'p>,
        tys: &mut Vec<Ty>,
        ty: &Ty,
        c: &Ctor,
        args: Option<&'p [Pat]>,
    ) -> Vec<Row<'p>> {
        let parts = self.field_tys(ty, c);
        let arity = parts.len();
        tys.extend(parts.into_iter().rev());
        match args {
            Some(args) => q.extend(args.iter().rev()),
            None => q.extend(std::iter::repeat_n(&WILD, arity)),
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some((head, rest)) = row.split_last() {
                specialize_row(head, rest, c, arity, &mut out);
            }
        }
        out
    }

    fn render(&self, w: &Wit, out: &mut String) {
        let Wit::Ctor(c, args) = w else {
            out.push('_');
            return;
        };
        let list = |out: &mut String, open: &str, close: &str| {
            out.push_str(open);
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                self.render(a, out);
            }
            out.push_str(close);
        };
        match c {
            Ctor::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Ctor::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Ctor::Float(x) => {
                let _ = write!(out, "{x:?}");
            }
            Ctor::Str(s) => {
                let _ = write!(out, "{s:?}");
            }
            Ctor::None => out.push_str("None"),
            // `case x:` on a `T?` is written as a pattern of `T` (SPEC §6).
            Ctor::Some => match args.first() {
                Some(inner) => self.render(inner, out),
                None => out.push('_'),
            },
            Ctor::Variant { enum_id, variant } => {
                let def = self.enums.get(*enum_id as usize);
                let name = def
                    .and_then(|d| d.variants.get(*variant as usize))
                    .map_or("_", |v| v.name.as_str());
                match def {
                    Some(d) if !d.builtin => {
                        let _ = write!(out, "{}.{name}", d.name);
                    }
                    _ => out.push_str(name),
                }
                if !args.is_empty() {
                    list(out, "(", ")");
                }
            }
            Ctor::Tuple(_) if args.len() == 1 => list(out, "(", ",)"),
            Ctor::Tuple(_) => list(out, "(", ")"),
        }
    }
}

fn for_each_ctor(p: &Pat, f: &mut dyn FnMut(&Ctor)) {
    match p {
        Pat::Wild => {}
        Pat::Ctor(c, _) => f(c),
        Pat::Or(alts) => alts.iter().for_each(|a| for_each_ctor(a, f)),
    }
}

/// The row `rest + head` opened up for constructor `c`, once per alternative of `head` that
/// can be `c`.
fn specialize_row<'p>(
    head: &'p Pat,
    rest: &[&'p Pat],
    c: &Ctor,
    arity: usize,
    out: &mut Vec<Row<'p>>,
) {
    match head {
        Pat::Wild => {
            let mut row = rest.to_vec();
            row.extend(std::iter::repeat_n(&WILD, arity));
            out.push(row);
        }
        Pat::Ctor(hc, args) if hc == c => {
            let mut row = rest.to_vec();
            row.extend(args.iter().rev());
            out.push(row);
        }
        Pat::Ctor(..) => {}
        Pat::Or(alts) => {
            for alt in alts {
                specialize_row(alt, rest, c, arity, out);
            }
        }
    }
}

/// The rows whose first column matches everything, without that column.
fn default<'p>(rows: &[Row<'p>]) -> Vec<Row<'p>> {
    fn matches_all(p: &Pat) -> bool {
        match p {
            Pat::Wild => true,
            Pat::Ctor(..) => false,
            Pat::Or(alts) => alts.iter().any(matches_all),
        }
    }
    rows.iter()
        .filter_map(|row| {
            let (head, rest) = row.split_last()?;
            matches_all(head).then(|| rest.to_vec())
        })
        .collect()
}

/// Undoes one step on a witness of the problem it led to, giving a witness of the problem
/// before it.
fn rebuild(w: &mut Vec<Wit>, step: Undo) {
    match step {
        Undo::Head(h) => w.push(h),
        Undo::Ctor(c, arity) => {
            // The parts sit on top of the stack, first part last pushed.
            let args = (0..arity).map(|_| w.pop().unwrap_or(Wit::Wild)).collect();
            w.push(Wit::Ctor(c, args));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::VariantDef;
    use stark_syntax::Span;

    #[derive(Default)]
    struct Tables {
        structs: Vec<StructDef>,
        enums: Vec<EnumDef>,
    }

    impl Tables {
        /// Adds an enum whose variants have these field types; returns its type.
        fn add_enum(
            &mut self,
            name: &str,
            params: &[&str],
            builtin: bool,
            variants: &[(&str, Vec<Ty>)],
        ) -> EnumId {
            let id = self.enums.len() as EnumId;
            let mut defs = Vec::new();
            for (vname, fields) in variants {
                defs.push(VariantDef {
                    name: vname.to_string(),
                    strukt: self.structs.len() as u32,
                });
                self.structs.push(StructDef {
                    name: format!("{name}.{vname}"),
                    params: Vec::new(),
                    fields: fields
                        .iter()
                        .enumerate()
                        .map(|(i, ty)| FieldDef {
                            name: format!("f{i}"),
                            ty: ty.clone(),
                        })
                        .collect(),
                    methods: Vec::new(),
                    destructor: None,
                    builtin,
                    span: Span::default(),
                });
            }
            self.enums.push(EnumDef {
                name: name.to_string(),
                params: params.iter().map(|p| p.to_string()).collect(),
                variants: defs,
                methods: Vec::new(),
                destructor: None,
                builtin,
                span: Span::default(),
            });
            id
        }

        fn run(&self, subject: &Ty, arms: &[(TPat, bool)]) -> MatchReport {
            analyze(&self.structs, &self.enums, subject, arms)
        }
    }

    /// Result (0), ParseError (1), Shape (2), Tree (3), Nest (4).
    fn tables() -> Tables {
        let mut t = Tables::default();
        t.add_enum(
            "Result",
            &["T", "E"],
            true,
            &[("Ok", vec![Ty::Param(0)]), ("Err", vec![Ty::Param(1)])],
        );
        t.add_enum(
            "ParseError",
            &[],
            false,
            &[("Empty", vec![]), ("BadDigit", vec![Ty::Int])],
        );
        t.add_enum(
            "Shape",
            &[],
            false,
            &[
                ("Circle", vec![Ty::Float]),
                ("Rect", vec![Ty::Float, Ty::Float]),
                ("Empty", vec![]),
            ],
        );
        let tree = Ty::Enum(3, vec![]);
        t.add_enum(
            "Tree",
            &[],
            false,
            &[("Leaf", vec![]), ("Node", vec![tree.clone(), tree])],
        );
        t.add_enum(
            "Nest",
            &[],
            false,
            &[("Pair", vec![shape(), shape()]), ("Unit", vec![])],
        );
        t
    }

    const PARSE_ERROR: EnumId = 1;
    const SHAPE: EnumId = 2;
    const TREE: EnumId = 3;
    const NEST: EnumId = 4;

    fn shape() -> Ty {
        Ty::Enum(SHAPE, vec![])
    }

    fn var(enum_id: EnumId, variant: u32, fields: Vec<TPat>) -> TPat {
        TPat::Variant {
            enum_id,
            variant,
            fields,
        }
    }

    fn circle() -> TPat {
        var(SHAPE, 0, vec![TPat::Bind(0)])
    }

    fn rect() -> TPat {
        var(SHAPE, 1, vec![TPat::Wild, TPat::Bind(1)])
    }

    fn empty() -> TPat {
        var(SHAPE, 2, vec![])
    }

    fn leaf() -> TPat {
        var(TREE, 0, vec![])
    }

    fn node(l: TPat, r: TPat) -> TPat {
        var(TREE, 1, vec![l, r])
    }

    fn arms(pats: Vec<TPat>) -> Vec<(TPat, bool)> {
        pats.into_iter().map(|p| (p, false)).collect()
    }

    fn missing(t: &Tables, subject: &Ty, pats: Vec<TPat>) -> Option<String> {
        let report = t.run(subject, &arms(pats));
        assert!(report.unreachable.is_empty(), "{:?}", report.unreachable);
        report.missing
    }

    #[test]
    fn usefulness_shape_variants() {
        let t = tables();
        let s = shape();
        assert_eq!(
            missing(&t, &s, vec![circle(), rect()]).as_deref(),
            Some("Shape.Empty")
        );
        assert_eq!(
            missing(&t, &s, vec![empty(), circle()]).as_deref(),
            Some("Shape.Rect(_, _)")
        );
        assert_eq!(
            missing(&t, &s, vec![rect()]).as_deref(),
            Some("Shape.Circle(_)")
        );
        assert_eq!(missing(&t, &s, vec![circle(), rect(), empty()]), None);
        assert_eq!(missing(&t, &s, vec![circle(), TPat::Bind(3)]), None);
    }

    #[test]
    fn usefulness_nested_result() {
        let t = tables();
        let pe = Ty::Enum(PARSE_ERROR, vec![]);
        let r = Ty::Enum(0, vec![Ty::Int, pe]);
        let ok = |p| var(0, 0, vec![p]);
        let err = |p| var(0, 1, vec![p]);
        let pe_empty = var(PARSE_ERROR, 0, vec![]);
        let pe_bad = var(PARSE_ERROR, 1, vec![TPat::Wild]);
        assert_eq!(
            missing(&t, &r, vec![ok(TPat::Bind(0)), err(pe_empty.clone())]).as_deref(),
            Some("Err(ParseError.BadDigit(_))")
        );
        assert_eq!(
            missing(&t, &r, vec![err(pe_bad.clone()), ok(TPat::Wild)]).as_deref(),
            Some("Err(ParseError.Empty)")
        );
        assert_eq!(
            missing(&t, &r, vec![err(TPat::Wild), ok(TPat::Int(0))]).as_deref(),
            Some("Ok(_)")
        );
        assert_eq!(
            missing(&t, &r, vec![err(pe_empty.clone())]).as_deref(),
            Some("Ok(_)")
        );
        assert_eq!(
            missing(
                &t,
                &r,
                vec![ok(TPat::Wild), err(pe_bad.clone()), err(pe_empty.clone())]
            ),
            None
        );
        // A specific payload after the catch-all of that variant can never match.
        let report = t.run(
            &r,
            &arms(vec![err(TPat::Bind(1)), ok(TPat::Wild), err(pe_empty)]),
        );
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![2]);
    }

    #[test]
    fn usefulness_bool_pairs() {
        let t = tables();
        let ty = Ty::Tuple(vec![Ty::Bool, Ty::Bool]);
        let pair = |a, b| TPat::Tuple(vec![TPat::Bool(a), TPat::Bool(b)]);
        assert_eq!(
            missing(
                &t,
                &ty,
                vec![pair(true, true), pair(true, false), pair(false, false)]
            )
            .as_deref(),
            Some("(false, true)")
        );
        assert_eq!(
            missing(
                &t,
                &ty,
                vec![TPat::Tuple(vec![TPat::Wild, TPat::Bool(true)])]
            )
            .as_deref(),
            Some("(_, false)")
        );
        let report = t.run(
            &ty,
            &arms(vec![
                TPat::Tuple(vec![TPat::Bool(true), TPat::Wild]),
                TPat::Tuple(vec![TPat::Wild, TPat::Bool(false)]),
                pair(true, false),
                pair(false, true),
            ]),
        );
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![2]);
    }

    #[test]
    fn usefulness_optional() {
        let t = tables();
        let ty = Ty::Optional(Box::new(Ty::Bool));
        let some = |p| TPat::Some(Box::new(p));
        assert_eq!(
            missing(&t, &ty, vec![TPat::None, some(TPat::Bool(true))]).as_deref(),
            Some("false")
        );
        assert_eq!(
            missing(&t, &ty, vec![some(TPat::Bind(0))]).as_deref(),
            Some("None")
        );
        assert_eq!(missing(&t, &ty, vec![TPat::None]).as_deref(), Some("_"));
        assert_eq!(
            missing(&t, &ty, vec![TPat::None, some(TPat::Bind(0))]),
            None
        );
        // `case x:` leaves None out, so a later `_` still matches something.
        assert_eq!(
            missing(&t, &ty, vec![some(TPat::Bind(0)), TPat::Wild]),
            None
        );
        let report = t.run(&ty, &arms(vec![TPat::Wild, TPat::None]));
        assert_eq!(report.unreachable, vec![1]);
        // An optional enum: the witness is the enum's pattern.
        let os = Ty::Optional(Box::new(shape()));
        assert_eq!(
            missing(&t, &os, vec![TPat::None, some(circle()), some(rect())]).as_deref(),
            Some("Shape.Empty")
        );
    }

    #[test]
    fn usefulness_guards() {
        let t = tables();
        let s = shape();
        let report = t.run(&s, &[(circle(), true), (rect(), false), (empty(), false)]);
        assert_eq!(report.missing.as_deref(), Some("Shape.Circle(_)"));
        assert!(report.unreachable.is_empty());
        // A guarded arm is checked itself, after unguarded ones.
        let report = t.run(&s, &[(TPat::Wild, false), (circle(), true)]);
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![1]);
        // A guarded `_` covers nothing, so the same unguarded one is reachable.
        let report = t.run(&s, &[(TPat::Wild, true), (TPat::Wild, false)]);
        assert_eq!(report.missing, None);
        assert!(report.unreachable.is_empty());
        // Only guarded arms: nothing is covered.
        let report = t.run(&s, &[(TPat::Wild, true)]);
        assert_eq!(report.missing.as_deref(), Some("_"));
    }

    #[test]
    fn usefulness_or_patterns() {
        let t = tables();
        let s = shape();
        let report = t.run(
            &s,
            &arms(vec![TPat::Or(vec![circle(), empty()]), rect(), empty()]),
        );
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![2]);
        // An alternative that is still useful keeps the arm reachable.
        let report = t.run(&s, &arms(vec![circle(), TPat::Or(vec![circle(), rect()])]));
        assert_eq!(report.missing.as_deref(), Some("Shape.Empty"));
        assert!(report.unreachable.is_empty());
        // Nested alternatives inside a variant.
        let pe = Ty::Enum(PARSE_ERROR, vec![]);
        let r = Ty::Enum(0, vec![Ty::Str, pe]);
        let inner = TPat::Or(vec![
            var(PARSE_ERROR, 0, vec![]),
            var(PARSE_ERROR, 1, vec![TPat::Int(3)]),
        ]);
        assert_eq!(
            missing(
                &t,
                &r,
                vec![var(0, 1, vec![inner]), var(0, 0, vec![TPat::Wild])]
            )
            .as_deref(),
            Some("Err(ParseError.BadDigit(_))")
        );
        let ints = TPat::Or(vec![TPat::Int(1), TPat::Int(2), TPat::Int(3)]);
        let report = t.run(&Ty::Int, &arms(vec![ints, TPat::Int(2), TPat::Wild]));
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![1]);
    }

    #[test]
    fn usefulness_unreachable_after_wildcard() {
        let t = tables();
        let report = t.run(
            &shape(),
            &arms(vec![circle(), TPat::Bind(4), rect(), TPat::Wild]),
        );
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![2, 3]);
    }

    #[test]
    fn usefulness_unreachable_duplicate_variant() {
        let t = tables();
        let report = t.run(
            &shape(),
            &arms(vec![
                circle(),
                rect(),
                var(SHAPE, 0, vec![TPat::Float(1.0)]),
                empty(),
            ]),
        );
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![2]);
        let report = t.run(&shape(), &arms(vec![empty(), empty()]));
        assert_eq!(report.missing.as_deref(), Some("Shape.Circle(_)"));
        assert_eq!(report.unreachable, vec![1]);
    }

    #[test]
    fn usefulness_recursive_tree() {
        let t = tables();
        let tree = Ty::Enum(TREE, vec![]);
        let w = || TPat::Wild;
        assert_eq!(
            missing(
                &t,
                &tree,
                vec![leaf(), node(leaf(), w()), node(node(leaf(), w()), w())]
            )
            .as_deref(),
            Some("Tree.Node(Tree.Node(Tree.Node(_, _), _), _)")
        );
        assert_eq!(
            missing(
                &t,
                &tree,
                vec![
                    leaf(),
                    node(leaf(), w()),
                    node(node(leaf(), w()), leaf()),
                    node(node(node(w(), w()), w()), w()),
                ]
            )
            .as_deref(),
            Some("Tree.Node(Tree.Node(Tree.Leaf, _), Tree.Node(_, _))")
        );
        assert_eq!(
            missing(
                &t,
                &tree,
                vec![
                    node(node(w(), w()), w()),
                    node(leaf(), node(w(), leaf())),
                    node(leaf(), node(w(), node(w(), w()))),
                    node(leaf(), leaf()),
                    leaf(),
                ]
            ),
            None
        );
        let report = t.run(
            &tree,
            &arms(vec![
                node(w(), w()),
                node(w(), leaf()),
                node(node(leaf(), leaf()), w()),
            ]),
        );
        assert_eq!(report.missing.as_deref(), Some("Tree.Leaf"));
        assert_eq!(report.unreachable, vec![1, 2]);
    }

    #[test]
    fn usefulness_witness_shows_only_what_is_needed() {
        let t = tables();
        let nest = Ty::Enum(NEST, vec![]);
        let pair = |a, b| var(NEST, 0, vec![a, b]);
        assert_eq!(
            missing(
                &t,
                &nest,
                vec![
                    var(NEST, 1, vec![]),
                    pair(circle(), TPat::Wild),
                    pair(rect(), TPat::Wild)
                ]
            )
            .as_deref(),
            Some("Nest.Pair(Shape.Empty, _)")
        );
    }

    #[test]
    fn usefulness_int_literals() {
        let t = tables();
        let report = t.run(&Ty::Int, &arms(vec![TPat::Int(1), TPat::Int(2)]));
        assert_eq!(report.missing.as_deref(), Some("_"));
        assert!(report.unreachable.is_empty());
        let report = t.run(
            &Ty::Int,
            &arms(vec![TPat::Int(1), TPat::Int(2), TPat::Bind(0)]),
        );
        assert_eq!(report.missing, None);
        assert!(report.unreachable.is_empty());
        let report = t.run(
            &Ty::Int,
            &arms(vec![TPat::Int(1), TPat::Int(1), TPat::Wild, TPat::Int(3)]),
        );
        assert_eq!(report.missing, None);
        assert_eq!(report.unreachable, vec![1, 3]);
        // Strings and floats are infinite too.
        let s = TPat::Str("a".into());
        let report = t.run(&Ty::Str, &arms(vec![s.clone(), s]));
        assert_eq!(report.missing.as_deref(), Some("_"));
        assert_eq!(report.unreachable, vec![1]);
        let report = t.run(&Ty::Float, &arms(vec![TPat::Float(1.0), TPat::Int(1)]));
        assert_eq!(report.unreachable, vec![1]);
        // An infinite column inside a tuple.
        let ty = Ty::Tuple(vec![Ty::Int, Ty::Bool]);
        assert_eq!(
            missing(
                &t,
                &ty,
                vec![
                    TPat::Tuple(vec![TPat::Int(0), TPat::Wild]),
                    TPat::Tuple(vec![TPat::Wild, TPat::Bool(true)]),
                ]
            )
            .as_deref(),
            Some("(_, false)")
        );
    }

    #[test]
    fn usefulness_one_tuple() {
        let t = tables();
        let ty = Ty::Tuple(vec![Ty::Bool]);
        assert_eq!(
            missing(&t, &ty, vec![TPat::Tuple(vec![TPat::Bool(true)])]).as_deref(),
            Some("(false,)")
        );
    }

    #[test]
    fn usefulness_silent_on_errors() {
        let t = tables();
        // An unknown subject: a bare name may have meant a variant.
        let report = t.run(&Ty::Error, &arms(vec![TPat::Bind(0), TPat::Int(1)]));
        assert_eq!(report.missing, None);
        assert!(report.unreachable.is_empty());
        // An unknown payload type.
        let r = Ty::Enum(0, vec![Ty::Int, Ty::Error]);
        let report = t.run(
            &r,
            &arms(vec![
                var(0, 1, vec![TPat::Bind(0)]),
                var(0, 1, vec![TPat::Int(1)]),
            ]),
        );
        assert_eq!(report.missing, None);
        assert!(report.unreachable.is_empty());
        // A pattern that does not fit its type (reported by the checker).
        let report = t.run(&shape(), &arms(vec![TPat::Int(1), TPat::Wild, TPat::Wild]));
        assert_eq!(report.missing, None);
        assert!(report.unreachable.is_empty());
        let report = t.run(&shape(), &arms(vec![var(SHAPE, 0, vec![])]));
        assert_eq!(report.missing, None);
    }

    #[test]
    fn usefulness_many_arms_and_wide_patterns() {
        let t = tables();
        // 500 literal arms, a duplicate and a catch-all.
        let mut pats: Vec<TPat> = (0..500).map(TPat::Int).collect();
        pats.push(TPat::Int(250));
        pats.push(TPat::Wild);
        let report = t.run(&Ty::Int, &arms(pats));
        assert_eq!(report.unreachable, vec![500]);
        assert_eq!(report.missing, None);
        // 200 arms over a tuple of shapes: every pair of variants once, then nothing left.
        let ty = Ty::Tuple(vec![shape(), shape(), Ty::Int]);
        let each = [circle(), rect(), empty()];
        let mut pats = Vec::new();
        for a in &each {
            for b in &each {
                for n in 0..20 {
                    pats.push(TPat::Tuple(vec![a.clone(), b.clone(), TPat::Int(n)]));
                }
            }
        }
        let report = t.run(&ty, &arms(pats.clone()));
        assert_eq!(
            report.missing.as_deref(),
            Some("(Shape.Circle(_), Shape.Circle(_), _)")
        );
        pats.push(TPat::Tuple(vec![TPat::Wild, TPat::Wild, TPat::Wild]));
        let report = t.run(&ty, &arms(pats));
        assert_eq!(report.missing, None);
        assert!(report.unreachable.is_empty());
        // A wide tuple of Bools, each arm fixing one position.
        let width = 40;
        let ty = Ty::Tuple(vec![Ty::Bool; width]);
        let mut pats: Vec<TPat> = (0..width)
            .map(|i| {
                TPat::Tuple(
                    (0..width)
                        .map(|j| if i == j { TPat::Bool(true) } else { TPat::Wild })
                        .collect(),
                )
            })
            .collect();
        let report = t.run(&ty, &arms(pats.clone()));
        let all_false = format!("({})", vec!["false"; width].join(", "));
        assert_eq!(report.missing.as_deref(), Some(all_false.as_str()));
        pats.push(TPat::Tuple(vec![TPat::Bool(false); width]));
        let report = t.run(&ty, &arms(pats));
        assert_eq!(report.missing, None);
        assert!(report.unreachable.is_empty());
        // A deep tree pattern.
        let mut deep = leaf();
        for _ in 0..200 {
            deep = node(deep, TPat::Wild);
        }
        let report = t.run(&Ty::Enum(TREE, vec![]), &arms(vec![deep, leaf()]));
        assert!(report.missing.is_some());
        assert!(report.unreachable.is_empty());
    }
}
