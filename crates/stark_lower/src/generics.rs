//! Generic functions (SPEC §7) are monomorphised: each list of type arguments a generic
//! function is called with gets a bytecode function of its own, lowered from the same
//! checked body with the arguments in place of the parameters (`FnLower::subst`). So an
//! instance emits exactly the refcount operations of the concrete code, and runs as fast.
//!
//! A generic function's own slot (its `FuncId`) holds a stub that is never called: the
//! bytecode's function ids stay the checker's, and instances follow the closure wrappers.

use stark_bytecode::instr::{Function, Instr};
use stark_check::{Checked, FnInfo, FuncId, Ty};
use std::collections::{HashMap, VecDeque};

/// How many instances one program may make, and how large a type argument may be (in
/// parts: `List<(Int, String)>` has four): past either, a generic function most likely
/// instantiates itself without end (`f<T>` calling `f<List<T>>` or `f<(T, T)>`), which is
/// reported rather than followed. A size, not a depth, bounds `f<(T, T)>`, whose argument
/// doubles at each step.
pub(crate) const MAX_INSTANCES: usize = 10_000;
pub(crate) const MAX_TYPE_PARTS: usize = 256;

pub(crate) struct Instances {
    next: u32,
    index: HashMap<(FuncId, Vec<Ty>), u32>,
    /// Instances asked for and not lowered yet, in the order of their ids.
    pub queue: VecDeque<(FuncId, Vec<Ty>, u32)>,
    /// The generic function whose instances ran past the limits.
    pub runaway: Option<FuncId>,
}

impl Instances {
    /// Instances are numbered from `first`, the first id after every other function.
    pub fn new(first: usize) -> Instances {
        Instances {
            next: first as u32,
            index: HashMap::new(),
            queue: VecDeque::new(),
            runaway: None,
        }
    }

    /// The bytecode function of `func` with `args`, queued for lowering on first use.
    pub fn get(&mut self, func: FuncId, args: Vec<Ty>) -> u32 {
        let key = (func, args);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let mut budget = MAX_TYPE_PARTS;
        if self.index.len() >= MAX_INSTANCES || !key.1.iter().all(|t| within(t, &mut budget)) {
            self.runaway.get_or_insert(func);
            return func;
        }
        let i = self.next;
        self.next += 1;
        self.queue.push_back((key.0, key.1.clone(), i));
        self.index.insert(key, i);
        i
    }
}

/// Whether `ty` has at most `budget` parts, counting them off `budget`; it stops as soon
/// as the budget runs out, so a huge type costs no more than the budget.
fn within(ty: &Ty, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match ty {
        Ty::List(t) | Ty::Optional(t) | Ty::Weak(t) | Ty::Task(t) => within(t, budget),
        Ty::Map(k, v) => within(k, budget) && within(v, budget),
        Ty::Tuple(ps) | Ty::Enum(_, ps) | Ty::Struct(_, ps) => ps.iter().all(|p| within(p, budget)),
        Ty::Fn(ps, r) => within(r, budget) && ps.iter().all(|p| within(p, budget)),
        _ => true,
    }
}

/// An instance's name as `stark ir` and stack traces show it: `first<Int>`.
pub(crate) fn instance_name(ck: &Checked, info: &FnInfo, args: &[Ty]) -> String {
    let shown: Vec<String> = args.iter().map(|t| ck.display(t).to_string()).collect();
    format!("{}<{}>", info.name, shown.join(", "))
}

/// The never-called function in a generic function's own slot: `first<T>`.
pub(crate) fn stub(info: &FnInfo) -> Function {
    let n = info.params.len();
    Function {
        name: format!("{}<{}>", info.name, info.type_params.join(", ")),
        param_modes: info.params.iter().map(|p| p.mode).collect(),
        num_regs: (n as u16).max(1),
        code: vec![Instr::RetNone],
        spans: vec![info.span],
        reg_names: vec![None; n.max(1)],
        span: info.span,
        inlined: Vec::new(),
        generic: true,
    }
}
