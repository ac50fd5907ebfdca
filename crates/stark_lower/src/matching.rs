//! `match` statements and the `?` operator (SPEC §6).
//!
//! A `match` on an enum dispatches in constant time: one `switch` on the subject's
//! variant jumps to a block per variant that tries, in order, only the arms that can
//! match that variant (their tag already known), then jumps to the chosen arm's body.
//! Every other subject (Int, String, Bool, tuple, `T?`) tries the arms in order.
//!
//! Memory: a subject that is a place is borrowed for the statement, and every name a
//! pattern binds is a view of its part, read like a field with no refcount traffic
//! (`get_field` into the binding's register); using one as an owner takes one reference
//! (`incref`), as for any view. The subject is held with one reference of its own only
//! when an arm could replace it (a mutable binding an arm names, a field, an element). A
//! temporary subject is owned by the statement's scope and released when the statement
//! ends, by `return`, `break` and `continue` too: the parts no name took over go with it.

use crate::FnLower;
use stark_bytecode::instr::{builtin_types, CmpOp, Instr, Reg};
use stark_check::{is_place, LocalKind, NameRes, TPat, Ty, RESULT};
use stark_syntax::ast::{Expr, ExprKind, MatchArm};
use stark_syntax::Span;

/// Where the matched value is: one register, or the parts of a tuple literal that was
/// never built (`match (a, b):`).
enum Subject {
    Reg(Reg),
    Parts(Vec<Reg>),
}

impl FnLower<'_> {
    pub(crate) fn match_stmt(&mut self, subject: &Expr, arms: &[MatchArm], span: Span) {
        let Some(res) = self.ck.matches.get(&subject.id).cloned() else {
            return;
        };
        let saved_base = self.temp_base;
        self.open_scope();
        let subj = match (&subject.kind, &res.subject_ty) {
            (ExprKind::Tuple(items), Ty::Tuple(tys)) if items.iter().all(is_place) => {
                let regs = items
                    .iter()
                    .zip(tys)
                    .map(|(item, t)| self.subject_in(item, t, arms))
                    .collect();
                Subject::Parts(regs)
            }
            _ => Subject::Reg(self.subject_in(subject, &res.subject_ty, arms)),
        };
        self.next_temp = self.temp_base;
        let mut ends = Vec::new();
        let switched = match (&subj, &res.subject_ty) {
            (Subject::Reg(r), Ty::Enum(en, _)) if !self.naive => {
                self.switch_arms(*r, *en, &res.subject_ty, arms, &res.arms, &mut ends, span);
                true
            }
            _ => false,
        };
        if !switched {
            for (arm, pat) in arms.iter().zip(&res.arms) {
                let mut fails = Vec::new();
                self.test_subject(pat, &subj, &res.subject_ty, &mut fails);
                self.arm_body(arm, &mut fails, &mut ends, span);
                for j in fails {
                    self.patch(j);
                }
            }
        }
        for j in ends {
            self.patch(j);
        }
        self.close_scope(span);
        self.temp_base = saved_base;
        self.next_temp = saved_base;
    }

    /// Evaluates the subject (or one part of a tuple subject) into a register of its own
    /// for the whole statement, owned by the statement's scope unless it is a view that no
    /// arm can replace.
    fn subject_in(&mut self, e: &Expr, ty: &Ty, arms: &[MatchArm]) -> Reg {
        let r = self.pinned();
        let owned = self.expr_in(e, r);
        if !ty.is_heap() {
            return r;
        }
        if !owned && !self.naive && self.stable_place(e, arms) {
            return r;
        }
        if !owned {
            self.emit(Instr::Incref { reg: r }, e.span);
        }
        self.scopes.last_mut().expect("scope").owned.push(r);
        r
    }

    /// Whether `e` is a binding whose object no arm can replace: an immutable binding (a
    /// `let`, a parameter, another pattern's name), or a mutable one no arm names.
    fn stable_place(&self, e: &Expr, arms: &[MatchArm]) -> bool {
        let Some(NameRes::Local(local)) = self.ck.names.get(&e.id) else {
            return false;
        };
        let info = self.ck.local(*local);
        match info.kind {
            LocalKind::Let | LocalKind::Param(_) if !info.mutable => true,
            LocalKind::CaseBind => true,
            _ => !arms.iter().any(|a| {
                crate::effects::block_names(self.ck, &a.body, *local)
                    || a.guard
                        .as_ref()
                        .is_some_and(|g| crate::effects::expr_names(self.ck, g, *local))
            }),
        }
    }

    /// The guard (if any) and the body of an arm whose pattern matched; a false guard
    /// joins `fails`. Control then leaves the statement (a jump into `ends`).
    fn arm_body(
        &mut self,
        arm: &MatchArm,
        fails: &mut Vec<usize>,
        ends: &mut Vec<usize>,
        span: Span,
    ) {
        if let Some(g) = &arm.guard {
            fails.extend(self.jump_unless(g));
            self.next_temp = self.temp_base;
        }
        self.next_temp = self.temp_base;
        self.block(&arm.body);
        ends.push(self.emit(Instr::Jump { target: 0 }, span));
    }

    /// The constant-time dispatch of a `match` on an enum: `switch` on the variant, then
    /// per variant the arms that can match it, tried in order, each jumping to its body
    /// (laid out once, after the blocks).
    #[allow(clippy::too_many_arguments)]
    fn switch_arms(
        &mut self,
        r: Reg,
        en: u32,
        ty: &Ty,
        arms: &[MatchArm],
        pats: &[TPat],
        ends: &mut Vec<usize>,
        span: Span,
    ) {
        let layouts: Vec<u32> = self.ck.enums[en as usize]
            .variants
            .iter()
            .map(|v| v.strukt)
            .collect();
        debug_assert!(layouts.windows(2).all(|w| w[1] == w[0] + 1));
        let count = layouts.len() as u16;
        self.emit(
            Instr::Switch {
                src: r,
                base: layouts[0],
                count,
            },
            span,
        );
        let table: Vec<usize> = (0..count)
            .map(|_| self.emit(Instr::Case { target: 0 }, span))
            .collect();
        // Jumps from the variant blocks to each arm's body.
        let mut to_body: Vec<Vec<usize>> = vec![Vec::new(); arms.len()];
        for (k, &entry) in table.iter().enumerate() {
            self.patch(entry);
            for (i, pat) in pats.iter().enumerate() {
                let Some(pat) = specialise(pat, k as u32) else {
                    continue;
                };
                let mut fails = Vec::new();
                self.test(&pat, r, ty, &mut fails, true);
                if let Some(g) = &arms[i].guard {
                    fails.extend(self.jump_unless(g));
                }
                self.next_temp = self.temp_base;
                to_body[i].push(self.emit(Instr::Jump { target: 0 }, span));
                for j in fails {
                    self.patch(j);
                }
            }
            // No arm matched this variant.
            ends.push(self.emit(Instr::Jump { target: 0 }, span));
        }
        for (arm, jumps) in arms.iter().zip(to_body) {
            if jumps.is_empty() {
                continue; // unreachable (W0102)
            }
            for j in jumps {
                self.patch(j);
            }
            self.next_temp = self.temp_base;
            self.block(&arm.body);
            ends.push(self.emit(Instr::Jump { target: 0 }, span));
        }
    }

    fn test_subject(&mut self, pat: &TPat, subj: &Subject, ty: &Ty, fails: &mut Vec<usize>) {
        match (subj, pat, ty) {
            (Subject::Reg(r), _, _) => self.test(pat, *r, ty, fails, false),
            (Subject::Parts(regs), TPat::Tuple(parts), Ty::Tuple(tys)) => {
                for ((p, r), t) in parts.iter().zip(regs).zip(tys) {
                    self.test(p, *r, t, fails, false);
                }
            }
            (Subject::Parts(regs), TPat::Bind(_) | TPat::Wild, Ty::Tuple(tys)) => {
                if let TPat::Bind(local) = pat {
                    // The whole tuple is named: build it after all, as a view's owner.
                    let dst = self.local_reg[local];
                    let base = self.temps(regs.len());
                    for (i, (r, t)) in regs.iter().zip(tys).enumerate() {
                        let to = base + i as Reg;
                        self.emit(Instr::Copy { dst: to, src: *r }, Span::default());
                        if t.is_heap() {
                            self.emit(Instr::Incref { reg: to }, Span::default());
                        }
                    }
                    self.emit(
                        Instr::NewStruct {
                            dst,
                            ty: builtin_types::TUPLE,
                            args: base,
                            argc: regs.len() as u16,
                            stack: false,
                        },
                        Span::default(),
                    );
                    self.scopes.last_mut().expect("scope").owned.push(dst);
                }
            }
            (Subject::Parts(_), TPat::Or(alts), _) => {
                self.alternatives(alts, fails, |this, alt, fails| {
                    this.test_subject(alt, subj, ty, fails)
                })
            }
            _ => {}
        }
    }

    /// `a | b | …`: each alternative's tests (`test`) in turn; one that passes goes on
    /// past the rest, and only the last one's failures fail the pattern.
    fn alternatives(
        &mut self,
        alts: &[TPat],
        fails: &mut Vec<usize>,
        mut test: impl FnMut(&mut Self, &TPat, &mut Vec<usize>),
    ) {
        let mut oks = Vec::new();
        for (n, alt) in alts.iter().enumerate() {
            if n + 1 == alts.len() {
                test(self, alt, fails);
            } else {
                let mut next = Vec::new();
                test(self, alt, &mut next);
                oks.push(self.emit(Instr::Jump { target: 0 }, Span::default()));
                for j in next {
                    self.patch(j);
                }
            }
        }
        for j in oks {
            self.patch(j);
        }
    }

    /// Emits the tests of `pat` on the value in `v` (of type `ty`); every failing test
    /// jumps to a label pushed on `fails`. Names are bound as views of their parts.
    /// `tag_known`: a `switch` already chose `v`'s variant.
    fn test(&mut self, pat: &TPat, v: Reg, ty: &Ty, fails: &mut Vec<usize>, tag_known: bool) {
        let span = Span::default();
        match pat {
            TPat::Wild => {}
            TPat::Bind(local) => {
                let dst = self.local_reg[local];
                if dst != v {
                    self.emit(Instr::Copy { dst, src: v }, span);
                }
            }
            TPat::Int(n) => match i32::try_from(*n) {
                Ok(imm) => fails.push(self.emit(
                    Instr::JumpICmpImm {
                        op: CmpOp::Ne,
                        a: v,
                        imm,
                        target: 0,
                    },
                    span,
                )),
                Err(_) => {
                    let t = self.temp();
                    self.emit(Instr::LoadInt { dst: t, value: *n }, span);
                    fails.push(self.emit(
                        Instr::JumpICmp {
                            op: CmpOp::Ne,
                            a: v,
                            b: t,
                            target: 0,
                        },
                        span,
                    ));
                }
            },
            TPat::Float(x) => {
                let t = self.temp();
                self.emit(Instr::LoadFloat { dst: t, value: *x }, span);
                fails.push(self.emit(
                    Instr::JumpFCmpNot {
                        op: CmpOp::Eq,
                        a: v,
                        b: t,
                        target: 0,
                    },
                    span,
                ));
            }
            TPat::Str(s) => {
                let t = self.temp();
                let konst = self.strings.intern(s);
                self.emit(Instr::LoadStr { dst: t, konst }, span);
                self.emit(
                    Instr::Equal {
                        dst: t,
                        a: v,
                        b: t,
                        negate: false,
                    },
                    span,
                );
                fails.push(self.emit(Instr::JumpIfNot { cond: t, target: 0 }, span));
            }
            TPat::Bool(b) => {
                let instr = if *b {
                    Instr::JumpIfNot { cond: v, target: 0 }
                } else {
                    Instr::JumpIf { cond: v, target: 0 }
                };
                fails.push(self.emit(instr, span));
            }
            TPat::None | TPat::Some(_) => {
                let t = self.temp();
                self.emit(Instr::IsNone { dst: t, src: v }, span);
                let instr = if matches!(pat, TPat::None) {
                    Instr::JumpIfNot { cond: t, target: 0 }
                } else {
                    Instr::JumpIf { cond: t, target: 0 }
                };
                fails.push(self.emit(instr, span));
                if let (TPat::Some(inner), Ty::Optional(inner_ty)) = (pat, ty) {
                    self.test(inner, v, inner_ty, fails, false);
                }
            }
            TPat::Variant {
                enum_id,
                variant,
                fields,
            } => {
                let layout = self.ck.enums[*enum_id as usize].variants[*variant as usize].strukt;
                if !tag_known {
                    fails.push(self.emit(
                        Instr::JumpUnlessType {
                            src: v,
                            ty: layout,
                            target: 0,
                        },
                        span,
                    ));
                }
                let targs = match ty {
                    Ty::Enum(_, a) => a.clone(),
                    _ => Vec::new(),
                };
                for (i, p) in fields.iter().enumerate() {
                    if *p == TPat::Wild {
                        continue;
                    }
                    let fty = self.ck.structs[layout as usize].fields[i].ty.subst(&targs);
                    let dst = match p {
                        // A name takes the field straight into its register.
                        TPat::Bind(local) => self.local_reg[local],
                        _ => self.temp(),
                    };
                    self.emit(
                        Instr::GetField {
                            dst,
                            obj: v,
                            field: i as u16,
                        },
                        span,
                    );
                    self.test(p, dst, &fty, fails, false);
                }
            }
            TPat::Tuple(parts) => {
                let tys = match ty {
                    Ty::Tuple(t) => t.clone(),
                    _ => Vec::new(),
                };
                for (i, (p, t)) in parts.iter().zip(&tys).enumerate() {
                    if *p == TPat::Wild {
                        continue;
                    }
                    let dst = match p {
                        TPat::Bind(local) => self.local_reg[local],
                        _ => self.temp(),
                    };
                    self.emit(
                        Instr::GetField {
                            dst,
                            obj: v,
                            field: i as u16,
                        },
                        span,
                    );
                    self.test(p, dst, t, fails, false);
                }
            }
            TPat::Or(alts) => self.alternatives(alts, fails, |this, alt, fails| {
                this.test(alt, v, ty, fails, tag_known)
            }),
        }
    }

    /// `e?` into `dst` (SPEC §6). On a `Result`: an `Ok` gives its value; an `Err` is
    /// returned as it is (its layout does not depend on the `Ok` type), after every owner
    /// in scope is released in M3 order. On a `T?`: `None` returns `None`.
    pub(crate) fn try_expr(&mut self, e: &Expr, inner: &Expr, dst: Reg) -> bool {
        let span = e.span;
        let r = self.temp();
        let owned = self.expr_in(inner, r);
        let result = matches!(self.ty(inner), Ty::Enum(RESULT, _));
        let value_heap = self.ty(e).is_heap();
        let leave = if result {
            self.emit(
                Instr::JumpUnlessType {
                    src: r,
                    ty: builtin_types::RESULT_OK,
                    target: 0,
                },
                span,
            )
        } else {
            let t = self.temp();
            self.emit(Instr::IsNone { dst: t, src: r }, span);
            self.emit(Instr::JumpIf { cond: t, target: 0 }, span)
        };
        if result {
            self.emit(
                Instr::GetField {
                    dst,
                    obj: r,
                    field: 0,
                },
                span,
            );
            if owned {
                // The value outlives the `Ok` that held it.
                if value_heap {
                    self.emit(Instr::Incref { reg: dst }, span);
                }
                self.emit(Instr::Decref { reg: r }, span);
            }
        } else {
            self.emit(Instr::Copy { dst, src: r }, span);
        }
        let done = self.emit(Instr::Jump { target: 0 }, span);
        self.patch(leave);
        // The parts of an enclosing call or literal evaluated before this `?` are owned
        // here: nothing will take them over on this path.
        for reg in self.pending.clone().into_iter().rev() {
            self.emit(Instr::Decref { reg }, span);
        }
        if result {
            if !owned {
                self.emit(Instr::Incref { reg: r }, span);
            }
            self.drop_scopes_from(0, span);
            self.emit(Instr::Ret { src: r }, span);
        } else {
            self.drop_scopes_from(0, span);
            self.emit(Instr::RetNone, span);
        }
        self.patch(done);
        owned && value_heap
    }
}

/// `pat` as it applies once a `switch` has found variant `k`: `None` when it cannot match
/// that variant, an or-pattern keeping only the alternatives that can.
fn specialise(pat: &TPat, k: u32) -> Option<TPat> {
    match pat {
        TPat::Wild | TPat::Bind(_) => Some(pat.clone()),
        TPat::Variant { variant, .. } => (*variant == k).then(|| pat.clone()),
        TPat::Or(alts) => {
            let kept: Vec<TPat> = alts.iter().filter_map(|a| specialise(a, k)).collect();
            match kept.len() {
                0 => None,
                1 => kept.into_iter().next(),
                _ => Some(TPat::Or(kept)),
            }
        }
        _ => None,
    }
}
