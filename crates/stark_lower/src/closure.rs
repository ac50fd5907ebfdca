//! Functions as values (SPEC §7): closures, the functions lambdas become, the wrappers
//! that let a top-level function be called as a value, and calls of a function value.
//!
//! A closure is a struct object: field 0 is the id of the function to run, the other
//! fields its captures. The function takes the closure as its first parameter (borrowed)
//! and its arguments owned, so `call_value` needs no more than `call` does, and the
//! collector, arenas and actors see one more struct (docs/decisions.md, "Functions as
//! values").

use super::{FnLower, Scope};
use stark_bytecode::instr::{CmpOp, Function, Instr, Reg, StructInfo, TypeId};
use stark_bytecode::native::Native;
use stark_check::{
    CallArg, Checked, FnInfo, FuncId, LambdaRes, ListFn, LocalId, LocalKind, NameRes, Ty,
};
use stark_syntax::ast::{Expr, ExprId, ExprKind, ParamMode};
use stark_syntax::Span;
use std::collections::HashMap;

/// The closure layouts and wrappers of one program, fixed before any body is lowered.
#[derive(Default)]
pub(crate) struct Closures {
    /// The struct layout of the closures that run function `f`.
    pub layout: HashMap<FuncId, TypeId>,
    /// For a top-level function used as a value, the wrapper a closure of it runs.
    pub wrapper: HashMap<FuncId, FuncId>,
    pub structs: Vec<StructInfo>,
    /// Lambdas (by function) whose closure borrows its captures: it does not escape and
    /// no heap capture is moved out of or reassigned in its function, so the bindings
    /// outlive it; it is built `stack` from views, with no `incref` (SPEC §7).
    pub borrowing: std::collections::HashSet<FuncId>,
    /// The wrappers' targets, in the order of their ids.
    targets: Vec<FuncId>,
}

impl Closures {
    pub fn new(ck: &Checked) -> Closures {
        let mut out = Closures::default();
        let first_struct = ck.structs.len();
        let layout = |out: &mut Closures, func: FuncId, named: FuncId, fields: Vec<String>| {
            let ty = (first_struct + out.structs.len()) as TypeId;
            out.structs.push(StructInfo {
                // `print` shows a function value as this name (`stark_vm/src/format.rs`).
                name: format!("<fn {}>", ck.functions[named as usize].name),
                fields,
                destructor: None,
                variant: false,
                views: out.borrowing.contains(&func),
            });
            out.layout.insert(func, ty);
        };
        let mut lambdas: Vec<(&ExprId, &LambdaRes)> = ck.lambdas.iter().collect();
        lambdas.sort_by_key(|(_, l)| l.func);
        for (e, l) in lambdas {
            // Never moved out of or reassigned, each captured binding keeps its object
            // from before the closure is made to after it is released (the closure does
            // not escape, and every capture was declared before it). A `case` name is a
            // view of a part of its subject, which code the closure runs may replace:
            // the closure keeps a reference to it.
            let stable = l.captures.iter().all(|(outer, _)| {
                let info = ck.local(*outer);
                !info.ty.is_heap()
                    || !(ck.unstable_locals.contains(outer) || info.kind == LocalKind::CaseBind)
            });
            if ck.stack_allocs.contains(e) && !ck.moving_lambdas.contains(e) && stable {
                out.borrowing.insert(l.func);
            }
            let mut fields = vec!["fn".to_string()];
            fields.extend(
                l.captures
                    .iter()
                    .map(|(outer, _)| ck.local(*outer).name.clone()),
            );
            layout(&mut out, l.func, l.func, fields);
        }
        let mut named: Vec<FuncId> = ck
            .names
            .values()
            .filter_map(|n| match n {
                NameRes::Func(f) => Some(*f),
                _ => None,
            })
            .collect();
        named.sort_unstable();
        named.dedup();
        for f in named {
            let id = (ck.functions.len() + out.targets.len()) as FuncId;
            out.targets.push(f);
            out.wrapper.insert(f, id);
            layout(&mut out, id, f, vec!["fn".to_string()]);
        }
        out
    }

    pub fn wrapper_count(&self) -> usize {
        self.targets.len()
    }

    /// The wrappers, in the order of their ids (after every checked function): each
    /// takes the closure and the arguments owned, and calls its target.
    pub fn wrappers(&self, ck: &Checked) -> Vec<Function> {
        self.targets
            .iter()
            .map(|&target| {
                let info = &ck.functions[target as usize];
                let n = info.params.len() as Reg;
                let ret = n + 1;
                let mut code = vec![Instr::Call {
                    dst: ret,
                    func: target,
                    args: 1,
                    argc: n,
                }];
                // What the target only borrowed is still the wrapper's to release.
                for (i, p) in info.params.iter().enumerate() {
                    if p.mode != ParamMode::Owned && p.ty.is_heap() {
                        code.push(Instr::Drop { reg: 1 + i as Reg });
                    }
                }
                code.push(Instr::Ret { src: ret });
                let len = code.len();
                let mut reg_names = vec![Some("<closure>".to_string())];
                reg_names.extend(info.params.iter().map(|p| Some(p.name.clone())));
                reg_names.push(None);
                let mut param_modes = vec![ParamMode::Borrowed];
                param_modes.extend(std::iter::repeat_n(ParamMode::Owned, n as usize));
                Function {
                    name: format!("{}.<value>", info.name),
                    param_modes,
                    num_regs: n + 2,
                    code,
                    spans: vec![info.span; len],
                    reg_names,
                    span: info.span,
                    inlined: Vec::new(),
                    generic: false,
                }
            })
            .collect()
    }
}

impl FnLower<'_> {
    /// The body of a lambda's function: the captures are read from the closure (views:
    /// the closure holds them while the call runs), the parameters are owned.
    pub(crate) fn lambda_body(&mut self, info: &FnInfo, res: &LambdaRes) {
        self.multi = None;
        self.scopes.push(Scope::default());
        let span = res.body.span;
        for p in &info.params[1..] {
            if self.concrete(&p.ty).is_heap() {
                let reg = self.local_reg[&p.local];
                self.scopes.last_mut().unwrap().owned.push(reg);
            }
        }
        for (i, (_, inner)) in res.captures.iter().enumerate() {
            let dst = self.local_reg[inner];
            let field = (i + 1) as u16;
            self.emit(Instr::GetField { dst, obj: 0, field }, span);
            if self.naive && self.local_ty(*inner).is_heap() {
                self.emit(Instr::Incref { reg: dst }, span);
                self.scopes.last_mut().unwrap().owned.push(dst);
            }
        }
        let ret = self.concrete(&info.ret);
        if ret == Ty::Unit {
            let v = self.expr(&res.body);
            self.release(v, span);
            self.close_scope(span);
            self.emit(Instr::RetNone, span);
        } else {
            let t = self.temp();
            self.owned_in(&res.body, t, &ret);
            self.close_scope(span);
            self.emit(Instr::Ret { src: t }, span);
        }
    }

    /// A lambda expression: a new closure holding a new reference to each capture, or a
    /// view of it when the closure borrows (`Closures::borrowing`).
    pub(crate) fn make_lambda(&mut self, e: &Expr, dst: Reg) -> bool {
        let Some(res) = self.ck.lambdas.get(&e.id) else {
            self.emit(Instr::LoadNone { dst }, e.span);
            return false;
        };
        let base = self.temps(1 + res.captures.len());
        let func = self.lambda_callee(res.func);
        self.emit(Instr::LoadFunc { dst: base, func }, e.span);
        let borrows = self.closures.borrowing.contains(&res.func);
        for (i, (outer, _)) in res.captures.iter().enumerate() {
            let reg = base + 1 + i as Reg;
            let src = self.local_reg[outer];
            let info = self.ck.local(*outer);
            let ty = self.local_ty(*outer);
            let owner = matches!(
                info.kind,
                LocalKind::Let | LocalKind::Param(ParamMode::Owned)
            ) && !self.views.contains(outer);
            if self.ck.moving_lambdas.contains(&e.id) && ty.moves() && owner {
                self.emit(Instr::Move { dst: reg, src }, e.span);
                continue;
            }
            self.emit(Instr::Copy { dst: reg, src }, e.span);
            if ty.is_heap() && !borrows {
                self.emit(Instr::Incref { reg }, e.span);
            }
        }
        let ty = self.closures.layout[&res.func];
        self.emit(
            Instr::NewStruct {
                dst,
                ty,
                args: base,
                argc: (1 + res.captures.len()) as u16,
                stack: self.ck.stack_allocs.contains(&e.id),
            },
            e.span,
        );
        true
    }

    /// `f` named without a call: a closure of its wrapper.
    pub(crate) fn fn_value(&mut self, func: FuncId, dst: Reg, span: Span) -> bool {
        let wrapper = self.closures.wrapper[&func];
        let base = self.temp();
        self.emit(
            Instr::LoadFunc {
                dst: base,
                func: wrapper,
            },
            span,
        );
        let ty = self.closures.layout[&wrapper];
        self.emit(
            Instr::NewStruct {
                dst,
                ty,
                args: base,
                argc: 1,
                stack: false,
            },
            span,
        );
        true
    }

    /// `f(args)` where `f` is a function value: the closure goes first, then the
    /// arguments, each handed over.
    pub(crate) fn call_value(&mut self, e: &Expr, args: &[CallArg], dst: Reg) -> bool {
        let ExprKind::Call { callee, .. } = &e.kind else {
            unreachable!("a call")
        };
        let f = self.temp();
        let owned = self.expr_in(callee, f);
        let later: Vec<&Expr> = args
            .iter()
            .filter_map(|a| stark_check::call_operand(e, a))
            .collect();
        let held = self.hold_across(callee, super::Val { reg: f, owned }, &later);
        let params = match self.ty(callee) {
            Ty::Fn(ps, _) => ps,
            _ => Vec::new(),
        };
        let ops: Vec<super::call::Operand> = args
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), super::call::Pass::Owned, params.get(i).cloned()))
            .collect();
        let (base, _) = self.operands(e, &ops);
        debug_assert_eq!(base, f + 1);
        self.emit(
            Instr::CallValue {
                dst,
                args: f,
                argc: (1 + ops.len()) as u16,
            },
            e.span,
        );
        self.release(held, e.span);
        !matches!(self.ty(e), Ty::Unit) && self.ty(e).is_heap()
    }
}

impl<'a> FnLower<'a> {
    /// `f` when it is a lambda whose body the loop of a list method can run in place
    /// (`inline_body`): lowering is not naive, no `arena` block is open (a called body
    /// allocates outside the arena, so an inlined one must too), the body has no `?` (it
    /// would return from this function) and every capture is a register of this frame
    /// that keeps its object (a heap capture never moved out of nor reassigned: the body
    /// reads the binding when it runs, a closure when it was made, and `reduce`'s initial
    /// value, evaluated in between, could move it).
    fn inlinable(&self, f: &Expr) -> Option<(&'a Expr, &'a LambdaRes)> {
        let ck: &'a Checked = self.ck;
        let ExprKind::Lambda { .. } = &f.kind else {
            return None;
        };
        let res = ck.lambdas.get(&f.id)?;
        let ok = !self.naive
            && !self.scopes.iter().any(|s| s.arena.is_some())
            && !super::effects::has_try(&res.body)
            && res.captures.iter().all(|(outer, _)| {
                self.local_reg.contains_key(outer)
                    && !self.scalar_tuples.contains(outer)
                    && !(ck.local(*outer).ty.is_heap() && ck.unstable_locals.contains(outer))
            });
        ok.then_some((&res.body, res))
    }

    /// Runs a lambda's body in place of a call of its closure (`xs.map(fn(x) => x * 2)`):
    /// its parameters are the registers `args ..` (the accumulator of `reduce` owned, an
    /// element a view, given a reference of its own only when the body may release list
    /// elements), its captures the captured bindings' own registers, its result lands in
    /// `out` (owned, as a call's). The range is recorded as an inline site, so a runtime
    /// error inside the body still shows the lambda's frame.
    fn inline_body(
        &mut self,
        body: &Expr,
        res: &LambdaRes,
        args: Reg,
        out: Reg,
        elem_heap: bool,
        span: Span,
    ) {
        let ck: &'a Checked = self.ck;
        let info = &ck.functions[res.func as usize];
        let start = self.code.len();
        let params = &info.params[1..];
        let releases = super::effects::may_release(ck, body);
        self.scopes.push(Scope::default());
        for (i, p) in params.iter().enumerate() {
            let reg = args + i as Reg;
            self.local_reg.insert(p.local, reg);
            let elem = i + 1 == params.len();
            if !self.concrete(&p.ty).is_heap() {
                continue;
            }
            if elem && !releases {
                // The list, held for the whole loop, keeps the element alive.
                self.views.insert(p.local);
                continue;
            }
            if elem && elem_heap {
                self.emit(Instr::Incref { reg }, span);
            }
            self.scopes.last_mut().expect("scope").owned.push(reg);
        }
        for (outer, inner) in &res.captures {
            let reg = self.local_reg[outer];
            self.local_reg.insert(*inner, reg);
            if self.views.contains(outer) {
                self.views.insert(*inner);
            }
        }
        // The body's other locals (a comprehension's variable) get registers of their own,
        // and the body's temporaries go above them all.
        let taken: std::collections::HashSet<LocalId> = info
            .params
            .iter()
            .map(|p| p.local)
            .chain(res.captures.iter().map(|(_, inner)| *inner))
            .collect();
        for &local in &info.locals {
            if !taken.contains(&local) {
                let reg = self.temp();
                self.local_reg.insert(local, reg);
            }
        }
        let saved = self.temp_base;
        self.temp_base = self.next_temp;
        let ret = self.concrete(&info.ret);
        if ret == Ty::Unit {
            let v = self.expr(body);
            self.release(v, span);
            self.close_scope(span);
            self.emit(Instr::LoadNone { dst: out }, span);
        } else {
            self.owned_in(body, out, &ret);
            self.close_scope(span);
        }
        self.temp_base = saved;
        self.inlined.push(stark_bytecode::instr::InlineSite {
            start: start as u32,
            end: self.code.len() as u32,
            callee: res.func,
            call_span: span,
        });
    }

    /// Evaluates `e` into a new register that owns its value for as long as the caller
    /// needs it: user code runs while it is held, and may drop every other reference.
    fn held(&mut self, e: &Expr, to: &Ty) -> Reg {
        let reg = self.temp();
        let owned = self.expr_in(e, reg);
        let from = self.ty(e);
        self.convert_in(reg, &from, to, e.span);
        if !owned && to.is_heap() {
            self.emit(Instr::Incref { reg }, e.span);
        }
        reg
    }

    /// `xs.map(f)` and the other higher-order methods: a loop over the list's indices (its
    /// length read again each time, as `f` may change it) that calls `f` on a new
    /// reference to each element. With `key=`, that loop computes the keys and a native
    /// orders by them.
    pub(crate) fn list_fn(&mut self, e: &Expr, op: ListFn, args: &[CallArg], dst: Reg) -> bool {
        let span = e.span;
        let operand = |i: usize| stark_check::call_operand(e, &args[i]).expect("checked operand");
        let (recv, f) = (operand(0), operand(1));
        let list_ty = match self.ty(recv) {
            Ty::Optional(inner) => *inner,
            other => other,
        };
        let elem_heap = matches!(&list_ty, Ty::List(t) if t.is_heap());
        let list = self.held(recv, &list_ty);
        let fn_ty = self.ty(f);
        // A lambda written here runs inside the loop, with no closure and no call.
        let inline = self.inlinable(f);
        let fun = match inline {
            Some(_) => self.temp(),
            None => self.held(f, &fn_ty),
        };
        let keyed = matches!(
            op,
            ListFn::SortKey | ListFn::SortedKey | ListFn::MinKey | ListFn::MaxKey
        );
        if !keyed {
            let init = (op == ListFn::Reduce).then(|| operand(2));
            self.fn_loop(op, list, fun, dst, elem_heap, init, inline, e);
        } else {
            // The keys first, in a loop calling `f`; then a native orders by them.
            let keys = self.temp();
            self.fn_loop(ListFn::Map, list, fun, keys, elem_heap, None, inline, e);
            let ops = self.temps(3);
            match op {
                ListFn::SortKey | ListFn::SortedKey => {
                    let target = if op == ListFn::SortKey { list } else { dst };
                    if op == ListFn::SortedKey {
                        // A new list sharing the elements, sorted in place.
                        let slice = self.temps(4);
                        self.emit(
                            Instr::Copy {
                                dst: slice,
                                src: list,
                            },
                            span,
                        );
                        for i in 1..4 {
                            self.emit(Instr::LoadNone { dst: slice + i }, span);
                        }
                        self.emit(
                            Instr::CallNative {
                                dst,
                                native: Native::ListSlice,
                                args: slice,
                                argc: 4,
                            },
                            span,
                        );
                    }
                    self.emit(
                        Instr::Copy {
                            dst: ops,
                            src: target,
                        },
                        span,
                    );
                    self.emit(
                        Instr::Copy {
                            dst: ops + 1,
                            src: keys,
                        },
                        span,
                    );
                    match stark_check::call_operand(e, &args[2]) {
                        Some(reverse) => {
                            self.expr_in(reverse, ops + 2);
                        }
                        None => {
                            let value = args[2] == CallArg::Bool(true);
                            self.emit(
                                Instr::LoadBool {
                                    dst: ops + 2,
                                    value,
                                },
                                span,
                            );
                        }
                    }
                    let out = self.temp();
                    self.emit(
                        Instr::CallNative {
                            dst: out,
                            native: Native::SortByKeys,
                            args: ops,
                            argc: 3,
                        },
                        span,
                    );
                    if op == ListFn::SortKey {
                        self.emit(Instr::LoadNone { dst }, span);
                    }
                }
                _ => {
                    let index = self.temp();
                    self.emit(
                        Instr::CallNative {
                            dst: index,
                            native: Native::KeyBest {
                                max: op == ListFn::MaxKey,
                            },
                            args: keys,
                            argc: 1,
                        },
                        span,
                    );
                    self.emit(Instr::ListGet { dst, list, index }, span);
                    if elem_heap {
                        self.emit(Instr::Incref { reg: dst }, span);
                    }
                }
            }
            self.emit(Instr::Decref { reg: keys }, span);
        }
        if inline.is_none() {
            self.emit(Instr::Decref { reg: fun }, span);
        }
        self.emit(Instr::Decref { reg: list }, span);
        match op {
            ListFn::Map | ListFn::Filter | ListFn::SortedKey => true,
            ListFn::Any | ListFn::All | ListFn::SortKey => false,
            ListFn::Reduce => self.ty(e).is_heap(),
            ListFn::MinKey | ListFn::MaxKey => elem_heap,
        }
    }

    /// The loop of `list_fn` for `op` (`Map` for sort keys), its result in `dst`.
    #[allow(clippy::too_many_arguments)]
    fn fn_loop(
        &mut self,
        op: ListFn,
        list: Reg,
        fun: Reg,
        dst: Reg,
        elem_heap: bool,
        init: Option<&Expr>,
        inline: Option<(&'a Expr, &'a LambdaRes)>,
        e: &Expr,
    ) {
        let span = e.span;
        match op {
            ListFn::Map | ListFn::Filter => {
                self.emit(
                    Instr::NewList {
                        dst,
                        args: 0,
                        argc: 0,
                    },
                    span,
                );
            }
            ListFn::Any => {
                self.emit(Instr::LoadBool { dst, value: false }, span);
            }
            ListFn::All => {
                self.emit(Instr::LoadBool { dst, value: true }, span);
            }
            _ => {
                let init = init.expect("reduce's initial value");
                let to = self.ty(e);
                self.owned_in(init, dst, &to);
            }
        }
        let (index, len) = (self.temp(), self.temp());
        // The call's operands: the closure, then (for `reduce`) the accumulator, then the
        // element; the result lands in `out`.
        let argc: u16 = if op == ListFn::Reduce { 3 } else { 2 };
        let call = self.temps(argc as usize);
        let push = self.temps(2);
        // `map` calls `f` straight into the `push` operand.
        let out = if op == ListFn::Map {
            push + 1
        } else {
            self.temp()
        };
        self.emit(
            Instr::LoadInt {
                dst: index,
                value: 0,
            },
            span,
        );
        let start = self.here();
        self.emit(
            Instr::CallNative {
                dst: len,
                native: Native::ListLen,
                args: list,
                argc: 1,
            },
            span,
        );
        self.emit(
            Instr::ICmp {
                op: CmpOp::Lt,
                dst: len,
                a: index,
                b: len,
            },
            span,
        );
        let exit = self.emit(
            Instr::JumpIfNot {
                cond: len,
                target: 0,
            },
            span,
        );
        // The element first: the length, the test and this read fuse into one `for_list`.
        let x = call + argc - 1;
        self.emit(
            Instr::ListGet {
                dst: x,
                list,
                index,
            },
            span,
        );
        if inline.is_none() {
            self.emit(
                Instr::Copy {
                    dst: call,
                    src: fun,
                },
                span,
            );
        }
        if op == ListFn::Reduce {
            // The accumulator is handed to `f`, which hands back the next one.
            self.emit(
                Instr::Move {
                    dst: call + 1,
                    src: dst,
                },
                span,
            );
        }
        match inline {
            Some((body, res)) => self.inline_body(body, res, call + 1, out, elem_heap, span),
            None => {
                if elem_heap {
                    self.emit(Instr::Incref { reg: x }, span);
                }
                self.emit(
                    Instr::CallValue {
                        dst: out,
                        args: call,
                        argc,
                    },
                    span,
                );
            }
        }
        let mut done = None;
        match op {
            ListFn::Map => {
                self.emit(
                    Instr::Copy {
                        dst: push,
                        src: dst,
                    },
                    span,
                );
                self.list_push(push, span);
            }
            ListFn::Filter => {
                let skip = self.emit(
                    Instr::JumpIfNot {
                        cond: out,
                        target: 0,
                    },
                    span,
                );
                self.emit(
                    Instr::Copy {
                        dst: push,
                        src: dst,
                    },
                    span,
                );
                self.emit(
                    Instr::ListGet {
                        dst: push + 1,
                        list,
                        index,
                    },
                    span,
                );
                if elem_heap {
                    self.emit(Instr::Incref { reg: push + 1 }, span);
                }
                self.list_push(push, span);
                self.patch(skip);
            }
            ListFn::Any => {
                self.emit(Instr::Copy { dst, src: out }, span);
                done = Some(self.emit(
                    Instr::JumpIf {
                        cond: out,
                        target: 0,
                    },
                    span,
                ));
            }
            ListFn::All => {
                self.emit(Instr::Copy { dst, src: out }, span);
                done = Some(self.emit(
                    Instr::JumpIfNot {
                        cond: out,
                        target: 0,
                    },
                    span,
                ));
            }
            _ => {
                self.emit(Instr::Move { dst, src: out }, span);
            }
        }
        self.emit(
            Instr::IAddImm {
                dst: index,
                a: index,
                imm: 1,
            },
            span,
        );
        self.emit(Instr::Jump { target: start }, span);
        self.patch(exit);
        if let Some(done) = done {
            self.patch(done);
        }
    }

    /// `list.push(value)` with the list and the value in `args`, `args + 1` (the value
    /// is taken over).
    fn list_push(&mut self, args: Reg, span: Span) {
        let out = self.temp();
        self.emit(
            Instr::CallNative {
                dst: out,
                native: Native::ListPush,
                args,
                argc: 2,
            },
            span,
        );
    }
}
