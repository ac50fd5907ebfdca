//! Lowering from the checked AST to bytecode, inserting reference-count operations.
//!
//! RC discipline (M12): every expression yields a `Val` that is either a *view* (a local's
//! own register, a field or element read in place; never released) or an *owned* temporary
//! (a call result, a new object; released with `decref` unless consumed). Contexts that
//! store a value (`let`, field/element store, owned argument, `return`) need an owned value:
//! a local is *moved* there (`move`, no RC op), anything else that is only a view gets one
//! `incref`. Borrowed parameters cost nothing. Owned locals are `drop`ped at scope exit in
//! reverse declaration order (M3).
//!
//! In `naive` mode the same program is lowered the way a straightforward RC compiler would:
//! every read of a heap binding increments and later decrements, moves are copies plus an
//! increment, and borrowed parameters are retained for the call. `stark ir --stats` compares
//! the two counts.
//!
//! [`compile`] is the whole pipeline from a checked program to the module the VM runs:
//! lowering, then `stark_bytecode`'s optimisers.

#![forbid(unsafe_code)]

mod assign;
mod call;
mod closure;
mod consts;
mod effects;
mod expr;
mod generics;
mod loops;
mod matching;
mod spawn;
mod stmt;
mod tensor;

use stark_bytecode::instr::{builtin_types, Function, Instr, Label, Module, Reg, StructInfo};
use stark_check::{Checked, FnInfo, LocalId, Ty};
use stark_syntax::ast::{FnDecl, ParamMode, Program};
use stark_syntax::{codes, Diagnostic, Span};
use std::collections::HashMap;

/// Lowers a whole checked program. `naive` selects the unoptimised RC insertion.
/// `Err` names a function needing more registers than [`MAX_REGS`]. `sources` holds each
/// file's text, by `FileId` (for the text of an expression in a runtime error message).
pub fn lower(
    program: &Program,
    checked: &Checked,
    sources: &[&str],
    naive: bool,
) -> Result<Module, Box<Diagnostic>> {
    let mut strings = Strings::default();
    let mut functions = Vec::new();
    let effects = effects::Effects::new(program, checked);
    let closures = closure::Closures::new(checked);
    let mut instances =
        generics::Instances::new(checked.functions.len() + closures.wrapper_count());
    let mut shared = Shared {
        program,
        ck: checked,
        effects: &effects,
        closures: &closures,
        sources,
        strings: &mut strings,
        instances: &mut instances,
        naive,
    };
    for info in &checked.functions {
        if info.type_params.is_empty() {
            functions.push(shared.function(info, Vec::new(), info.name.clone())?);
        } else {
            functions.push(generics::stub(info));
        }
    }
    functions.extend(closures.wrappers(checked));
    // Instances of generic functions, in the order they were first called; lowering one
    // may ask for more.
    while let Some((func, args, index)) = shared.instances.queue.pop_front() {
        debug_assert_eq!(functions.len(), index as usize);
        let info = &checked.functions[func as usize];
        let name = generics::instance_name(checked, info, &args);
        functions.push(shared.function(info, args, name)?);
    }
    if let Some(func) = instances.runaway {
        let info = &checked.functions[func as usize];
        return Err(Box::new(
            Diagnostic::error(
                codes::TOO_DEEP,
                format!(
                    "generic function `{}` needs an instance with too large a type argument",
                    info.name
                ),
                info.span,
            )
            .label(format!(
                "instances stop at {} in all or type arguments of {} parts",
                generics::MAX_INSTANCES,
                generics::MAX_TYPE_PARTS
            ))
            .help(
                "a call that grows its own type argument (`f<List<T>>` or `f<(T, T)>` from \
                 `f<T>`) would need instances without end",
            ),
        ));
    }
    let structs = checked
        .structs
        .iter()
        .map(|s| StructInfo {
            name: s.name.clone(),
            fields: s.fields.iter().map(|f| f.name.clone()).collect(),
            destructor: s.destructor,
            variant: checked.is_variant_layout(s),
            views: false,
        })
        .chain(closures.structs.iter().cloned())
        .collect::<Vec<_>>();
    debug_assert!(structs.len() >= builtin_types::COUNT);
    Ok(Module {
        functions,
        structs,
        strings: strings.list,
        formats: strings.formats,
        main: checked.main.unwrap_or(0),
    })
}

/// What lowering every function shares: the program, the checker's results, the
/// program-wide tables, and the generic instances asked for so far.
struct Shared<'a> {
    program: &'a Program,
    ck: &'a Checked,
    effects: &'a effects::Effects,
    closures: &'a closure::Closures,
    sources: &'a [&'a str],
    strings: &'a mut Strings,
    instances: &'a mut generics::Instances,
    naive: bool,
}

impl Shared<'_> {
    /// Lowers one function, or one instance of a generic one (`subst`, its type
    /// arguments), to a bytecode function named `name`.
    fn function(
        &mut self,
        info: &FnInfo,
        subst: Vec<Ty>,
        name: String,
    ) -> Result<Function, Box<Diagnostic>> {
        let (program, checked) = (self.program, self.ck);
        let mut lower = FnLower::new(self, info, subst);
        let lambda = info.lambda.and_then(|id| checked.lambdas.get(&id));
        let decl = match (lambda, info.decl(program)) {
            (Some(res), _) => {
                lower.lambda_body(info, res);
                None
            }
            (None, Some(decl)) => {
                lower.body(decl, info);
                Some(decl)
            }
            (None, None) => unreachable!("checker records only functions, methods and lambdas"),
        };
        if lower.out_of_regs {
            return Err(Box::new(
                Diagnostic::error(
                    codes::TOO_DEEP,
                    format!(
                        "function `{}` is too large to compile",
                        decl.map_or(info.name.as_str(), |d| d.name.name.as_str())
                    ),
                    decl.map_or(info.span, |d| d.name.span),
                )
                .label(format!("needs more than {MAX_REGS} registers"))
                .help("split it into smaller functions"),
            ));
        }
        let mut f = lower.finish(info);
        f.name = name;
        Ok(f)
    }
}

/// Registers are `u16`; the optimisers add registers of their own (inlining) below
/// `Reg::MAX`, so lowering stops at half of it.
pub const MAX_REGS: Reg = Reg::MAX / 2;

#[derive(Default)]
pub(crate) struct Strings {
    list: Vec<String>,
    index: HashMap<String, u32>,
    /// How the operands of f-strings with conversions or specs are written
    /// (`Module::formats`).
    pub formats: Vec<Vec<stark_syntax::FieldFormat>>,
}

impl Strings {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// The result of lowering an expression.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Val {
    pub reg: Reg,
    /// Holds a reference this code must consume or release.
    pub owned: bool,
}

/// A lexical scope: the owning heap registers declared in it, in declaration order.
#[derive(Default)]
pub(crate) struct Scope {
    pub owned: Vec<Reg>,
    /// The scope is an `arena` block (its `arena NAME` header): leaving it closes the
    /// arena, and a failure at that point (an escape found at run time) points there.
    pub arena: Option<Span>,
}

pub(crate) struct LoopCtx {
    /// `scopes.len()` when the loop's per-iteration scope was opened; `break` and
    /// `continue` drop every scope from here up.
    pub depth: usize,
    /// Jumps to patch to the loop's exit.
    pub breaks: Vec<usize>,
    /// Jumps to patch to the continue point.
    pub continues: Vec<usize>,
}

pub(crate) struct FnLower<'a> {
    pub program: &'a Program,
    pub ck: &'a Checked,
    pub effects: &'a effects::Effects,
    pub closures: &'a closure::Closures,
    pub sources: &'a [&'a str],
    pub strings: &'a mut Strings,
    /// The generic instances asked for so far (`generics.rs`).
    pub instances: &'a mut generics::Instances,
    /// The type arguments of the instance being lowered, in its `type_params` order
    /// (empty for a function that is not generic): every type read from the checker's
    /// results goes through [`FnLower::concrete`].
    pub subst: Vec<Ty>,
    pub naive: bool,
    pub code: Vec<Instr>,
    pub spans: Vec<Span>,
    pub local_reg: HashMap<LocalId, Reg>,
    pub reg_names: Vec<Option<String>>,
    /// Registers below this are locals or pinned loop state; temporaries start here and are
    /// reclaimed at each statement boundary.
    pub temp_base: Reg,
    pub next_temp: Reg,
    pub max_reg: Reg,
    pub scopes: Vec<Scope>,
    pub loops: Vec<LoopCtx>,
    /// `let` bindings lowered as views of a list element (`let_view`): they own nothing.
    pub views: std::collections::HashSet<LocalId>,
    /// The next `operands` call is for a built-in that only reads its view operands, so an
    /// `args()` among them may be the VM's immortal list (`Native::ArgsView`).
    pub args_views: bool,
    pub ret: Ty,
    /// Indices of the `copy` instructions that share a String binding where an owned value
    /// is needed (M1); `rc_opt::share_last_uses` makes the last ones moves.
    pub shares: Vec<usize>,
    /// Set when the function ran out of registers; what was lowered is then garbage.
    pub out_of_regs: bool,
    /// The tensor expression being lowered as the Tensor it is, before the conversion to a
    /// number the checker recorded for it (`Checked::tensor_scalars`) and typed it as.
    pub tensor_raw: Option<stark_syntax::ast::ExprId>,
    /// During a tuple assignment (`a, b = b, a`), the register holding the owned value for
    /// the target being assigned, which `new_value` takes instead of lowering the value.
    pub preset_value: Option<Reg>,
    /// Tuple bindings kept as one register per part, never built (`effects::scalar_tuples`).
    pub scalar_tuples: std::collections::HashSet<LocalId>,
    /// The part registers of those bound so far.
    pub tuple_parts: HashMap<LocalId, Vec<Reg>>,
    /// Owned temporaries already evaluated for a call, constructor or literal whose
    /// remaining parts are still being evaluated: a `?` among those parts that returns
    /// early releases them (the call that would have taken them over never runs).
    pub pending: Vec<Reg>,
    /// The function returns a tuple as this many values (`ret_multi`; `call::multi_parts`).
    pub multi: Option<u16>,
    /// Lambda bodies run in place by a list method's loop (`closure.rs`, `inline_body`).
    pub inlined: Vec<stark_bytecode::instr::InlineSite>,
}

impl<'a> FnLower<'a> {
    fn new(shared: &'a mut Shared<'_>, info: &FnInfo, subst: Vec<Ty>) -> FnLower<'a> {
        let ck = shared.ck;
        let mut local_reg = HashMap::new();
        let mut reg_names = Vec::new();
        for (i, &local) in info.locals.iter().enumerate() {
            local_reg.insert(local, i as Reg);
            reg_names.push(Some(ck.local(local).name.clone()));
        }
        let n = Reg::try_from(info.locals.len())
            .ok()
            .filter(|n| *n < MAX_REGS);
        let out_of_regs = n.is_none();
        let n = n.unwrap_or(0);
        FnLower {
            program: shared.program,
            ck,
            effects: shared.effects,
            closures: shared.closures,
            sources: shared.sources,
            strings: &mut *shared.strings,
            instances: &mut *shared.instances,
            naive: shared.naive,
            code: Vec::new(),
            spans: Vec::new(),
            local_reg,
            reg_names,
            temp_base: n,
            next_temp: n,
            max_reg: n,
            scopes: Vec::new(),
            loops: Vec::new(),
            views: Default::default(),
            args_views: false,
            ret: info.ret.subst(&subst),
            shares: Vec::new(),
            out_of_regs,
            tensor_raw: None,
            preset_value: None,
            scalar_tuples: Default::default(),
            tuple_parts: HashMap::new(),
            pending: Vec::new(),
            // From the declared type, so that a caller, which sees the same declaration,
            // agrees on how many values come back whatever the instance.
            multi: call::multi_parts(&info.ret),
            inlined: Vec::new(),
            subst,
        }
    }

    fn body(&mut self, decl: &FnDecl, info: &FnInfo) {
        if !self.naive {
            self.scalar_tuples = effects::scalar_tuples(self.ck, &decl.body.stmts);
        }
        self.scopes.push(Scope::default());
        for p in &info.params {
            if !self.concrete(&p.ty).is_heap() {
                continue;
            }
            let reg = self.local_reg[&p.local];
            match p.mode {
                ParamMode::Owned => self.scopes.last_mut().unwrap().owned.push(reg),
                // A naive compiler retains a borrowed parameter for the duration of the call.
                _ if self.naive => {
                    self.emit(Instr::Incref { reg }, decl.span);
                    self.scopes.last_mut().unwrap().owned.push(reg);
                }
                _ => {}
            }
        }
        self.block_stmts(&decl.body.stmts);
        let end = Span::new(decl.body.span.end as usize, decl.body.span.end as usize);
        self.close_scope(end);
        match self.multi {
            // Never reached (every path returns, E0069), but the verifier wants every
            // return of such a function to hand back its values.
            Some(n) => {
                let src = self.temps(n as usize);
                for i in 0..n {
                    self.emit(Instr::LoadNone { dst: src + i }, end);
                }
                self.emit(Instr::RetMulti { src, n }, end);
            }
            None => {
                self.emit(Instr::RetNone, end);
            }
        }
    }

    fn finish(self, info: &FnInfo) -> Function {
        let mut reg_names = self.reg_names;
        reg_names.resize(self.max_reg as usize, None);
        let mut f = Function {
            name: info.name.clone(),
            param_modes: info.params.iter().map(|p| p.mode).collect(),
            num_regs: self.max_reg.max(1),
            code: self.code,
            spans: self.spans,
            reg_names,
            span: info.span,
            inlined: self.inlined,
            generic: false,
        };
        if !self.naive {
            stark_bytecode::rc_opt::share_last_uses(&mut f, &self.shares);
        }
        f
    }

    /// `ty` as this instance sees it: its type arguments in place of its parameters.
    pub fn concrete(&self, ty: &Ty) -> Ty {
        if self.subst.is_empty() {
            ty.clone()
        } else {
            ty.subst(&self.subst)
        }
    }

    /// The type of local `local` in this instance.
    pub fn local_ty(&self, local: LocalId) -> Ty {
        self.concrete(&self.ck.local(local).ty)
    }

    /// The type arguments call `call` (of a generic function) passes, in this instance.
    fn call_type_args(&self, call: stark_syntax::ast::ExprId) -> Vec<Ty> {
        self.ck
            .type_args
            .get(&call)
            .map(|args| args.iter().map(|t| self.concrete(t)).collect())
            .unwrap_or_default()
    }

    /// The bytecode function call `call` runs for user function `func`: `func` itself,
    /// or the instance of a generic `func` with the call's type arguments.
    pub fn callee(&mut self, func: stark_check::FuncId, call: stark_syntax::ast::ExprId) -> u32 {
        if self.ck.functions[func as usize].type_params.is_empty() {
            return func;
        }
        let args = self.call_type_args(call);
        self.instances.get(func, args)
    }

    /// The parameter types and result type of user function `func` as call `call` sees
    /// them (a generic callee's with the call's type arguments).
    pub fn callee_sig(
        &self,
        func: stark_check::FuncId,
        call: stark_syntax::ast::ExprId,
    ) -> (Vec<Ty>, Ty) {
        let info = &self.ck.functions[func as usize];
        let args = self.call_type_args(call);
        let params = info.params.iter().map(|p| p.ty.subst(&args)).collect();
        (params, info.ret.subst(&args))
    }

    /// The bytecode function of a lambda's `func` made here: in an instance of a generic
    /// function, the instance of the lambda with the same type arguments.
    pub fn lambda_callee(&mut self, func: stark_check::FuncId) -> u32 {
        if self.ck.functions[func as usize].type_params.is_empty() {
            return func;
        }
        self.instances.get(func, self.subst.clone())
    }

    pub fn emit(&mut self, instr: Instr, span: Span) -> usize {
        self.code.push(instr);
        self.spans.push(span);
        self.code.len() - 1
    }

    pub fn here(&self) -> Label {
        self.code.len() as Label
    }

    /// Points the jump at `at` to the current position.
    pub fn patch(&mut self, at: usize) {
        let here = self.here();
        self.patch_to(at, here);
    }

    pub fn patch_to(&mut self, at: usize, target: Label) {
        match self.code[at].target_mut() {
            Some(t) => *t = target,
            None => unreachable!("patching a non-jump {:?}", self.code[at]),
        }
    }

    pub fn temp(&mut self) -> Reg {
        self.temps(1)
    }

    /// `n` consecutive temporaries (call arguments must be contiguous).
    pub fn temps(&mut self, n: usize) -> Reg {
        let r = self.next_temp;
        match Reg::try_from(n)
            .ok()
            .and_then(|n| r.checked_add(n))
            .filter(|t| *t <= MAX_REGS)
        {
            Some(t) => self.next_temp = t,
            None => {
                self.out_of_regs = true;
                return 0;
            }
        }
        self.max_reg = self.max_reg.max(self.next_temp);
        r
    }

    pub fn is_temp(&self, reg: Reg) -> bool {
        reg >= self.temp_base
    }

    /// Releases a value if this code owns it.
    pub fn release(&mut self, v: Val, span: Span) {
        if v.owned {
            self.emit(Instr::Decref { reg: v.reg }, span);
        }
    }

    pub fn open_scope(&mut self) {
        self.scopes.push(Scope::default());
    }

    /// Drops the innermost scope's owners in reverse declaration order and closes it.
    pub fn close_scope(&mut self, span: Span) {
        let scope = self.scopes.pop().expect("open scope");
        for &reg in scope.owned.iter().rev() {
            self.emit(Instr::Drop { reg }, span);
        }
        if let Some(header) = scope.arena {
            self.emit(Instr::ArenaExit, header);
        }
    }

    /// Drops (without closing) every scope from `depth` up, innermost first: the clean-up
    /// before `break`, `continue` and `return` jump out of them.
    pub fn drop_scopes_from(&mut self, depth: usize, span: Span) {
        // `Err(header)` stands for closing an arena, in its place in the order.
        let mut steps: Vec<Result<Reg, Span>> = Vec::new();
        for scope in self.scopes[depth..].iter().rev() {
            steps.extend(scope.owned.iter().rev().map(|r| Ok(*r)));
            if let Some(header) = scope.arena {
                steps.push(Err(header));
            }
        }
        for step in steps {
            match step {
                Ok(reg) => self.emit(Instr::Drop { reg }, span),
                Err(header) => self.emit(Instr::ArenaExit, header),
            };
        }
    }

    pub fn expr_text(&mut self, span: Span) -> u32 {
        let text = self
            .sources
            .get(span.file.0 as usize)
            .and_then(|s| s.get(span.range()))
            .unwrap_or("value")
            .to_string();
        self.strings.intern(&text)
    }
}

/// Lowers a checked program with ownership-aware RC insertion, then removes redundant pairs.
pub fn compile(
    program: &Program,
    checked: &Checked,
    sources: &[&str],
) -> Result<Module, Box<Diagnostic>> {
    let mut module = lower(program, checked, sources, false)?;
    stark_bytecode::rc_opt::optimise(&mut module);
    stark_bytecode::opt::optimise(&mut module);
    stark_bytecode::rc_opt::fold_consumed_operands(&mut module);
    Ok(module)
}
