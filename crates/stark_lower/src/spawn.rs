//! `spawn f(a, b) [with quota=q]`: the arguments are evaluated as owned values (each is
//! sent to the actor, whatever the parameter's mode: a local moves, a view is retained),
//! the quota after them, then one `spawn` native takes them all over.

use super::call::{Operand, Pass};
use super::FnLower;
use stark_bytecode::instr::Instr;
use stark_bytecode::native::Native;
use stark_check::CallRes;
use stark_syntax::ast::Expr;

impl FnLower<'_> {
    /// Lowers a spawn into `dst`; `dst` then owns the new `Task`.
    pub(super) fn spawn(
        &mut self,
        call: &Expr,
        quota: Option<&Expr>,
        dst: stark_bytecode::instr::Reg,
    ) -> bool {
        let Some(CallRes::Fn { func, args }) = self.ck.calls.get(&call.id).cloned() else {
            self.emit(Instr::LoadNone { dst }, call.span);
            return false;
        };
        let (params, _) = self.callee_sig(func, call.id);
        let func = self.callee(func, call.id);
        let ops: Vec<Operand> = args
            .iter()
            .zip(params)
            .map(|(a, p)| (a.clone(), Pass::Owned, Some(p)))
            .collect();
        let (base, _) = self.operands(call, &ops);
        let mut argc = ops.len() as u16;
        if let Some(q) = quota {
            // `operands` leaves the next temporary right after the arguments.
            let reg = self.temp();
            debug_assert_eq!(reg, base + argc);
            self.expr_in(q, reg);
            argc += 1;
        }
        let native = Native::Spawn {
            func,
            quota: quota.is_some(),
        };
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args: base,
                argc,
            },
            call.span,
        );
        true
    }
}
