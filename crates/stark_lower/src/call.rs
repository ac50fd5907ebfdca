//! Calls: user functions and methods, struct construction, and built-ins.

use super::FnLower;
use stark_bytecode::instr::{Instr, Reg};
use stark_bytecode::native::Native;
use stark_check::{Builtin, CallArg, CallRes, Ty};
use stark_syntax::ast::{Arg, Expr, ExprKind, ParamMode};
use stark_syntax::{Recv, SigTy, Span};

/// One operand of a call: where it comes from, how it is passed, and the type the callee
/// expects (`None`: its own type).
pub(super) type Operand = (CallArg, Pass, Option<Ty>);

/// How one operand is passed.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Pass {
    /// Taken over by the callee: moved or retained.
    Owned,
    /// Borrowed by a user function: a local is passed as is, anything else is retained
    /// for the call so that nothing the callee does can free it.
    Borrowed,
    /// Read by a built-in, which runs no user code while it reads: views are enough.
    View,
}

impl FnLower<'_> {
    fn operand<'e>(&self, call: &'e Expr, arg: &CallArg) -> Option<&'e Expr> {
        stark_check::call_operand(call, arg)
    }

    /// Evaluates the operands into consecutive registers; returns the first register and
    /// the operands to release after the call.
    pub(super) fn operands(&mut self, call: &Expr, ops: &[Operand]) -> (Reg, Vec<Reg>) {
        let base = self.temps(ops.len());
        let mut release = Vec::new();
        let pending = self.pending.len();
        // Taken here, so that calls nested in the operands do not see it.
        let read_only = std::mem::take(&mut self.args_views);
        let exprs: Vec<Option<&Expr>> = ops.iter().map(|(a, ..)| self.operand(call, a)).collect();
        for (i, (arg, pass, to)) in ops.iter().enumerate() {
            let dst = base + i as Reg;
            if let CallArg::Default(param) = arg {
                self.default_operand(call, *param, *pass, to.as_ref(), dst, &mut release);
                continue;
            }
            let Some(e) = self.operand(call, arg) else {
                let instr = match arg {
                    CallArg::Int(v) => Instr::LoadInt { dst, value: *v },
                    CallArg::Bool(v) => Instr::LoadBool { dst, value: *v },
                    _ => Instr::LoadNone { dst },
                };
                self.emit(instr, call.span);
                continue;
            };
            let from = self.ty(e);
            let to = to.clone().unwrap_or_else(|| from.clone());
            match pass {
                Pass::Owned => {
                    self.owned_in(e, dst, &to);
                    if to.is_heap() {
                        self.pending.push(dst);
                    }
                }
                Pass::View if read_only && self.is_args_call(e) => self.args_view_in(dst, e.span),
                Pass::View | Pass::Borrowed => {
                    let mut owned = self.expr_in(e, dst);
                    self.convert_in(dst, &from, &to, e.span);
                    let is_local = self.ck.names.contains_key(&e.id);
                    // A constant outlives every call: it needs no retain.
                    let constant = self.is_const_str(e) && !self.naive;
                    if *pass == Pass::Borrowed && !owned && !is_local && from.is_heap() && !constant
                    {
                        self.emit(Instr::Incref { reg: dst }, e.span);
                        owned = true;
                    }
                    if !constant {
                        // A later operand may free what this view reads.
                        let later: Vec<&Expr> = exprs[i + 1..].iter().flatten().copied().collect();
                        owned = self
                            .hold_across(e, super::Val { reg: dst, owned }, &later)
                            .owned;
                    }
                    if owned {
                        release.push(dst);
                        self.pending.push(dst);
                    }
                }
            }
        }
        self.pending.truncate(pending);
        (base, release)
    }

    /// A left-out argument: the callee's default value for parameter `param`, evaluated
    /// here at each call (so a list default is a new list every time; a String literal is
    /// the immortal constant, shared).
    fn default_operand(
        &mut self,
        call: &Expr,
        param: usize,
        pass: Pass,
        to: Option<&Ty>,
        dst: Reg,
        release: &mut Vec<Reg>,
    ) {
        let Some(CallRes::Fn { func, .. }) = self.ck.calls.get(&call.id) else {
            unreachable!("a default value belongs to a user function's call")
        };
        let program = self.program;
        let default = self
            .ck
            .param_default(program, *func, param)
            .expect("checked: the parameter has a default");
        let from = self.ty(default);
        let to = to.cloned().unwrap_or_else(|| from.clone());
        if pass == Pass::Owned {
            self.owned_in(default, dst, &to);
            return;
        }
        let owned = self.expr_in(default, dst);
        self.convert_in(dst, &from, &to, default.span);
        if owned {
            release.push(dst);
        }
    }

    /// Whether `e` calls the built-in `args()` (a user function of that name is not it).
    pub(super) fn is_args_call(&self, e: &Expr) -> bool {
        !self.naive
            && matches!(
                self.ck.calls.get(&e.id),
                Some(CallRes::Builtin {
                    op: Builtin::Args,
                    ..
                })
            )
    }

    /// `args()` where the list is only read: a view of the VM's immortal argument list
    /// (`Native::ArgsView`), so nothing is allocated and nothing released.
    pub(super) fn args_view_in(&mut self, dst: Reg, span: Span) {
        self.emit(
            Instr::CallNative {
                dst,
                native: Native::ArgsView,
                args: dst,
                argc: 0,
            },
            span,
        );
    }

    pub(super) fn finish_call(&mut self, release: Vec<Reg>, span: Span) {
        for reg in release {
            self.emit(Instr::Decref { reg }, span);
        }
    }

    /// A call of a function returning a tuple as values, if `e` is one: emits it and
    /// returns the first of the registers that own its parts, and how many there are.
    pub(crate) fn call_parts(&mut self, e: &Expr) -> Option<(Reg, u16)> {
        let Some(CallRes::Fn { func, args }) = self.ck.calls.get(&e.id).cloned() else {
            return None;
        };
        let n = multi_parts(&self.ck.functions[func as usize].ret)?;
        Some((self.call_multi(e, func, &args, n), n))
    }

    /// The operands of a call of user function `func`: owned parameters take their
    /// argument over, borrowed ones lend it.
    fn fn_operands(&self, call: &Expr, func: u32, args: &[CallArg]) -> Vec<Operand> {
        let info = &self.ck.functions[func as usize];
        let (types, _) = self.callee_sig(func, call.id);
        args.iter()
            .zip(info.params.iter().zip(types))
            .map(|(a, (p, ty))| {
                let pass = if p.mode == ParamMode::Owned {
                    Pass::Owned
                } else {
                    Pass::Borrowed
                };
                (a.clone(), pass, Some(ty))
            })
            .collect()
    }

    fn call_multi(&mut self, e: &Expr, func: u32, args: &[CallArg], n: u16) -> Reg {
        let dst = self.temps(n as usize);
        let ops = self.fn_operands(e, func, args);
        let (base, release) = self.operands(e, &ops);
        let func = self.callee(func, e.id);
        self.emit(
            Instr::CallMulti {
                dst,
                n,
                func,
                args: base,
                argc: ops.len() as u16,
            },
            e.span,
        );
        self.finish_call(release, e.span);
        dst
    }

    /// Lowers a call into `dst`; returns whether `dst` owns its result.
    pub fn call(&mut self, e: &Expr, dst: Reg) -> bool {
        let span = e.span;
        let res = self.ck.calls.get(&e.id).cloned();
        match res {
            Some(CallRes::Fn { func, args }) => {
                let info = &self.ck.functions[func as usize];
                if let Some(n) = multi_parts(&info.ret) {
                    // Wanted as one value: the parts the callee returned as values make
                    // the tuple here (a `let (a, b) = f()` takes them as they are).
                    let base = self.call_multi(e, func, &args, n);
                    self.emit(
                        Instr::NewStruct {
                            dst,
                            ty: stark_bytecode::instr::builtin_types::TUPLE,
                            args: base,
                            argc: n,
                            stack: false,
                        },
                        span,
                    );
                    return true;
                }
                let ret_heap = self.callee_sig(func, e.id).1.is_heap();
                let ops = self.fn_operands(e, func, &args);
                let (base, release) = self.operands(e, &ops);
                let argc = ops.len() as u16;
                let func = self.callee(func, e.id);
                self.emit(
                    Instr::Call {
                        dst,
                        func,
                        args: base,
                        argc,
                    },
                    span,
                );
                self.finish_call(release, span);
                ret_heap
            }
            Some(CallRes::Ctor { ty, args }) => {
                let fields = &self.ck.structs[ty as usize].fields;
                // A variant of `Result`, or of a generic type, has its field types from
                // the value's type.
                let targs = match self.ty(e) {
                    Ty::Enum(_, a) | Ty::Struct(_, a) => a,
                    _ => Vec::new(),
                };
                let ops: Vec<Operand> = args
                    .iter()
                    .zip(fields)
                    .map(|(a, f)| (a.clone(), Pass::Owned, Some(f.ty.subst(&targs))))
                    .collect();
                let (base, _) = self.operands(e, &ops);
                let argc = ops.len() as u16;
                let stack = self.ck.stack_allocs.contains(&e.id);
                self.emit(
                    Instr::NewStruct {
                        dst,
                        ty,
                        args: base,
                        argc,
                        stack,
                    },
                    span,
                );
                true
            }
            Some(CallRes::Builtin { op, args }) => self.builtin(e, op, &args, dst),
            Some(CallRes::Value { args }) => self.call_value(e, &args, dst),
            Some(CallRes::ListFn { op, args }) => self.list_fn(e, op, &args, dst),
            None => {
                self.emit(Instr::LoadNone { dst }, span);
                false
            }
        }
    }

    /// The type of operand `a` of call `e` with one `?` removed.
    fn plain_ty(&self, e: &Expr, a: &CallArg) -> Option<Ty> {
        self.operand(e, a).map(|x| match self.ty(x) {
            Ty::Optional(inner) => *inner,
            other => other,
        })
    }

    fn receiver_ty(&self, e: &Expr) -> Ty {
        let ExprKind::Call { callee, .. } = &e.kind else {
            return Ty::Error;
        };
        match &callee.kind {
            // A `T` that is a `String?` in this instance is the value itself, `None`
            // included (`x.copy()` of a `T` never unwraps).
            ExprKind::Field(recv, _) if matches!(self.ck.ty(recv.id), Ty::Param(_)) => {
                self.ty(recv)
            }
            ExprKind::Field(recv, _) => match self.ty(recv) {
                Ty::Optional(inner) => *inner,
                other => other,
            },
            _ => Ty::Error,
        }
    }

    fn builtin(&mut self, e: &Expr, op: Builtin, args: &[CallArg], dst: Reg) -> bool {
        let span = e.span;
        let recv = self.receiver_ty(e);
        let result_heap = self.ty(e).is_heap();
        // Operands read in place, converted to the receiver's type where it is a receiver.
        let views = |args: &[CallArg], recv: &Ty| -> Vec<Operand> {
            args.iter()
                .map(|a| {
                    let to = (*a == CallArg::Receiver).then(|| recv.clone());
                    (a.clone(), Pass::View, to)
                })
                .collect()
        };
        let native = |n: Native| Some(n);
        if let Some(owned) = self.data_dims(e, op, args, dst) {
            return owned;
        }
        // `str(x)` of a `T` that is a String in this instance: the string itself, as the
        // checker makes it (`Identity`) where the type is written out.
        let op = match op {
            Builtin::Str
                if self
                    .operand(e, &args[0])
                    .is_some_and(|a| self.ty(a) == Ty::Str) =>
            {
                Builtin::Identity
            }
            other => other,
        };
        let (native, ops): (Option<Native>, Vec<Operand>) = match op {
            Builtin::Identity => {
                let arg = self.operand(e, &args[0]).expect("identity operand");
                let owned = self.expr_in(arg, dst);
                let (from, to) = (self.ty(arg), self.ty(e));
                self.convert_in(dst, &from, &to, arg.span);
                return owned;
            }
            Builtin::IntToFloat => {
                let arg = self.operand(e, &args[0]).expect("float operand");
                let v = self.view_as(arg, &Ty::Int);
                self.emit(Instr::IToF { dst, src: v.reg }, span);
                return false;
            }
            Builtin::ListNew => {
                self.emit(
                    Instr::NewList {
                        dst,
                        args: 0,
                        argc: 0,
                    },
                    span,
                );
                return true;
            }
            Builtin::MapNew => {
                self.emit(
                    Instr::NewMap {
                        dst,
                        args: 0,
                        argc: 0,
                    },
                    span,
                );
                return true;
            }
            Builtin::Print if args.len() == 1 => {
                let ExprKind::Call {
                    args: call_args, ..
                } = &e.kind
                else {
                    unreachable!()
                };
                if let ExprKind::FStr(parts) = &call_args[0].value.kind {
                    self.fstring_with(parts, dst, span, Native::PrintFormat);
                    return false;
                }
                (native(Native::Print), views(args, &recv))
            }
            // `x.clone()` or `x.copy()` in a generic body whose `T` is not a heap type in
            // this instance: the value itself, as the concrete code would have it (the
            // checker refuses both on such a type written out).
            Builtin::Clone | Builtin::Copy
                if {
                    let recv_e = self.operand(e, &CallArg::Receiver).expect("receiver");
                    matches!(self.ck.ty(recv_e.id), Ty::Param(_)) && !self.ty(recv_e).is_heap()
                } =>
            {
                let recv_e = self.operand(e, &CallArg::Receiver).expect("receiver");
                self.expr_in(recv_e, dst);
                return false;
            }
            Builtin::Clone => {
                let recv_e = self.operand(e, &CallArg::Receiver).expect("clone receiver");
                let v = self.expr(recv_e);
                // A `T` that is a `String?` here is cloned as it is, `None` included.
                let reg = if matches!(self.ck.ty(recv_e.id), Ty::Param(_)) {
                    v.reg
                } else {
                    self.unwrap_val(v, &self.ty(recv_e), recv_e.span)
                };
                if v.owned {
                    // Cloning a temporary: the temporary's reference becomes the result.
                    if reg != dst {
                        self.emit(Instr::Move { dst, src: reg }, span);
                    }
                } else {
                    self.emit(Instr::Copy { dst, src: reg }, span);
                    self.emit(Instr::Incref { reg: dst }, span);
                }
                return true;
            }
            // Free and `math` functions typed by their rows' signatures (`sorted`, `math.sqrt`):
            // each operand is converted to its parameter's type (an Int to a Float, a `T?`
            // unwrapped); a generic one (`List<E>`) is read as it is, unwrapped.
            other
                if other.sig().is_some() && matches!(other.receiver(), Recv::Free | Recv::Math) =>
            {
                let sig = other.sig().expect("checked above");
                let ops = sig
                    .params
                    .iter()
                    .zip(args)
                    .map(|(q, a)| {
                        let to = if generic(q.ty) {
                            self.plain_ty(e, a)
                        } else {
                            stark_check::sig_ty(q.ty, &Ty::Error, &self.ck.structs)
                                .or_else(|| self.plain_ty(e, a))
                        };
                        (a.clone(), Pass::View, to)
                    })
                    .collect();
                (Native::of_builtin(other), ops)
            }
            // `min(a, b, …)`: every value converted to the result's type.
            Builtin::Min | Builtin::Max if args.len() > 1 => {
                let to = self.ty(e);
                let ops = args
                    .iter()
                    .map(|a| (a.clone(), Pass::View, Some(to.clone())))
                    .collect();
                (Native::of_builtin(op), ops)
            }
            // `min(xs, default=d)`: the list as it is, the default converted to the result's
            // type.
            Builtin::MinDefault | Builtin::MaxDefault => {
                let to = self.ty(e);
                let ops = vec![
                    (args[0].clone(), Pass::View, self.plain_ty(e, &args[0])),
                    (args[1].clone(), Pass::View, Some(to)),
                ];
                (Native::of_builtin(op), ops)
            }
            // The free functions the checker picked by their operands' types: the operands as
            // they are, unwrapped.
            Builtin::Min
            | Builtin::Max
            | Builtin::AbsInt
            | Builtin::AbsFloat
            | Builtin::SumInt
            | Builtin::SumFloat
            | Builtin::Round
            | Builtin::RoundDigits
            | Builtin::RoundIntDigits => {
                let ops = args
                    .iter()
                    .map(|a| (a.clone(), Pass::View, self.plain_ty(e, a)))
                    .collect();
                (Native::of_builtin(op), ops)
            }
            // A method that stores or compares an element: its operands are converted to the
            // receiver's element, key or value type, and those the row consumes are owned.
            other
                if other
                    .sig()
                    .is_some_and(|s| s.params.iter().any(|p| generic(p.ty))) =>
            {
                let sig = other.sig().expect("checked above");
                let mut ops = vec![(CallArg::Receiver, Pass::View, Some(recv.clone()))];
                for (i, q) in sig.params.iter().enumerate() {
                    let pass = if other.consumes(i + 1) {
                        Pass::Owned
                    } else {
                        Pass::View
                    };
                    let to = stark_check::sig_ty(q.ty, &recv, &self.ck.structs);
                    ops.push((args[i + 1].clone(), pass, to));
                }
                (Native::of_builtin(other), ops)
            }
            other => {
                let n = Native::of_builtin(other)
                    .unwrap_or_else(|| unreachable!("handled above: {other:?}"));
                let mut ops = views(args, &recv);
                // `len(x)`, `WeakRef(x)`, `Memory.refcount(x)` and `x.copy()` read through a `T?`.
                if let Some((CallArg::Arg(i), _, to)) = ops.first_mut() {
                    if to.is_none()
                        && matches!(
                            n,
                            Native::StrLen
                                | Native::ListLen
                                | Native::MapLen
                                | Native::WeakNew
                                | Native::Refcount
                        )
                    {
                        let ExprKind::Call {
                            args: call_args, ..
                        } = &e.kind
                        else {
                            unreachable!()
                        };
                        let arg: &Arg = &call_args[*i];
                        if let Ty::Optional(inner) = self.ty(&arg.value) {
                            *to = Some(*inner);
                        }
                    }
                }
                (Some(n), ops)
            }
        };
        let native = native.expect("native chosen");
        self.args_views = matches!(
            native,
            Native::ListLen
                | Native::ListContains
                | Native::Print
                | Native::PrintFormat
                | Native::Format
                | Native::ToStr
        );
        let (base, mut release) = self.operands(e, &ops);
        let argc = ops.len() as u16;
        let native = self.reuse_operand(native, base, argc, &mut release);
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args: base,
                argc,
            },
            span,
        );
        self.finish_call(release, span);
        result_heap
    }
}

/// Whether a signature type is one of the receiver's type parameters.
fn generic(t: SigTy) -> bool {
    match t {
        SigTy::E | SigTy::K | SigTy::V => true,
        SigTy::Opt(inner) | SigTy::List(inner) => generic(*inner),
        SigTy::Map(k, v) | SigTy::Pair(k, v) | SigTy::Result(k, v) => generic(*k) || generic(*v),
        _ => false,
    }
}

/// How many values a function returning `ret` returns them as: a tuple of 2 to
/// `MAX_RET_PARTS` parts is returned as its parts (SPEC §5: a tuple is never a heap
/// object); anything else as one value.
pub(crate) fn multi_parts(ret: &Ty) -> Option<u16> {
    match ret {
        Ty::Tuple(parts) if (2..=stark_bytecode::instr::MAX_RET_PARTS).contains(&parts.len()) => {
            Some(parts.len() as u16)
        }
        _ => None,
    }
}
