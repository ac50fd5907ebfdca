//! Within a basic block: copy propagation, Int constants folded into immediate forms, and
//! common subexpressions.

use super::*;

/// An instruction with its destination cleared: equal keys compute equal values from equal
/// operand registers.
pub(super) fn cse_key(instr: &Instr) -> Option<Instr> {
    let mut k = *instr;
    match &mut k {
        // Commutative: one key for both operand orders.
        Instr::IAdd { dst, a, b }
        | Instr::IMul { dst, a, b }
        | Instr::FAdd { dst, a, b }
        | Instr::FMul { dst, a, b } => {
            *dst = 0;
            if a > b {
                std::mem::swap(a, b);
            }
        }
        Instr::ISub { dst, .. }
        | Instr::IDiv { dst, .. }
        | Instr::IMod { dst, .. }
        | Instr::FSub { dst, .. }
        | Instr::FDiv { dst, .. }
        | Instr::IAddImm { dst, .. }
        | Instr::IMulImm { dst, .. }
        | Instr::IDivImm { dst, .. }
        | Instr::IModImm { dst, .. }
        | Instr::INeg { dst, .. }
        | Instr::FNeg { dst, .. }
        | Instr::IToF { dst, .. }
        | Instr::ICmp { dst, .. }
        | Instr::FCmp { dst, .. } => *dst = 0,
        _ => return None,
    }
    Some(k)
}

pub(super) fn reads(key: &Instr, r: Reg) -> bool {
    let mut k = *key;
    let mut hit = false;
    operands(&mut k, |x, role| hit |= role == Role::Read && *x == r);
    hit
}

pub(super) fn mirror(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        op => op,
    }
}

/// Rewrites `instr` to an immediate form where an operand is a known small constant.
pub(super) fn fold_immediate(instr: Instr, konst: &HashMap<Reg, i64>) -> Instr {
    let k = |r: Reg| konst.get(&r).and_then(|&v| i32::try_from(v).ok());
    match instr {
        Instr::IAdd { dst, a, b } => match (k(a), k(b)) {
            (_, Some(imm)) => Instr::IAddImm { dst, a, imm },
            (Some(imm), None) => Instr::IAddImm { dst, a: b, imm },
            _ => instr,
        },
        Instr::ISub { dst, a, b } => match k(b).and_then(i32::checked_neg) {
            Some(imm) => Instr::IAddImm { dst, a, imm },
            None => instr,
        },
        Instr::IMul { dst, a, b } => match (k(a), k(b)) {
            (_, Some(imm)) => Instr::IMulImm { dst, a, imm },
            (Some(imm), None) => Instr::IMulImm { dst, a: b, imm },
            _ => instr,
        },
        // A zero divisor stays a register operand: its error is `IDiv`'s.
        Instr::IDiv { dst, a, b } => match k(b) {
            Some(imm) if imm != 0 => Instr::IDivImm { dst, a, imm },
            _ => instr,
        },
        Instr::IMod { dst, a, b } => match k(b) {
            Some(imm) if imm != 0 => Instr::IModImm { dst, a, imm },
            _ => instr,
        },
        Instr::JumpICmp { op, a, b, target } => match (k(a), k(b)) {
            (_, Some(imm)) => Instr::JumpICmpImm { op, a, imm, target },
            (Some(imm), None) => Instr::JumpICmpImm {
                op: mirror(op),
                a: b,
                imm,
                target,
            },
            _ => instr,
        },
        _ => instr,
    }
}

/// How many available expressions and copies [`local_pass`] tracks at once.
const LOCAL_FACTS: usize = 256;

/// Step 1 of the module doc, one forward walk per basic block.
pub(super) fn local_pass(f: &mut Function) -> bool {
    let starts = block_starts(&f.code);
    let live = Liveness::of(f);
    let constant = constant_loads(f, &live);
    // Constants valid everywhere, the starting point of every block's own.
    let global: HashMap<Reg, i64> = f
        .code
        .iter()
        .zip(&constant)
        .filter_map(|(instr, &c)| match *instr {
            Instr::LoadInt { dst, value } if c => Some((dst, value)),
            _ => None,
        })
        .collect();
    let mut changed = false;
    // copy_of[t] = s: `t` holds what `s` holds (`s` is never itself a key).
    let mut copy_of: HashMap<Reg, Reg> = HashMap::new();
    let mut konst: HashMap<Reg, i64> = HashMap::new();
    let mut avail: Vec<(Instr, Reg)> = Vec::new();
    let (mut uses, mut defs) = (Vec::new(), Vec::new());
    for (i, &start) in starts.iter().enumerate().take(f.code.len()) {
        if start {
            copy_of.clear();
            konst.clone_from(&global);
            avail.clear();
        }
        let mut instr = f.code[i];
        operands(&mut instr, |r, role| {
            if role == Role::Read {
                if let Some(&s) = copy_of.get(r) {
                    *r = s;
                }
            }
        });
        // A native of one operand that it only reads (`len(w)`, `w.isdigit()`) may read the
        // copied register itself: a one-register range is contiguous wherever it lies, and
        // the native neither takes it over nor clears it. The copy into the argument
        // register then usually dies.
        if let Instr::CallNative {
            native,
            args,
            argc: 1,
            ..
        } = &mut instr
        {
            let facts = native.call_facts();
            if !facts.needs_vm && facts.consumed_mask & 1 == 0 {
                if let Some(&s) = copy_of.get(args) {
                    *args = s;
                }
            }
        }
        instr = fold_immediate(instr, &konst);
        if let Instr::INeg { dst, src } = instr {
            if let Some(value) = konst.get(&src).and_then(|v| v.checked_neg()) {
                instr = Instr::LoadInt { dst, value };
            }
        }
        let key = cse_key(&instr);
        if let (Some(key), Some(dst)) = (key, dst_of(&instr)) {
            if let Some(&(_, v)) = avail.iter().find(|(k, _)| *k == key) {
                if v != dst {
                    instr = Instr::Copy { dst, src: v };
                }
            }
        }
        if instr != f.code[i] {
            f.code[i] = instr;
            changed = true;
        }
        uses_defs(&instr, &mut uses, &mut defs);
        // Forgetting facts is always sound; bounding them keeps a huge straight-line
        // block (50,000 `let`s) linear instead of quadratic in the scans below.
        if avail.len() > LOCAL_FACTS {
            avail.drain(..LOCAL_FACTS / 2);
        }
        if copy_of.len() > LOCAL_FACTS {
            copy_of.clear();
        }
        for &d in &defs {
            copy_of.remove(&d);
            copy_of.retain(|_, s| *s != d);
            konst.remove(&d);
            avail.retain(|(k, v)| *v != d && !reads(k, d));
        }
        match instr {
            Instr::Copy { dst, src } if dst != src => {
                copy_of.insert(dst, src);
                if let Some(&v) = konst.get(&src) {
                    konst.insert(dst, v);
                }
            }
            Instr::LoadInt { dst, value } => {
                konst.insert(dst, value);
            }
            _ => {
                if let (Some(key), Some(dst)) = (cse_key(&instr), dst_of(&instr)) {
                    if !reads(&key, dst) {
                        avail.push((key, dst));
                    }
                }
            }
        }
    }
    changed
}
