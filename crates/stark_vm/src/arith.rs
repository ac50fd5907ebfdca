//! Typed arithmetic: checked Int operations (overflow and division by zero are runtime
//! errors), Python-style float modulo, and comparisons.

use crate::error::{fail, Fallible, Fault};
use stark_bytecode::CmpOp;
use stark_runtime::Value;
use std::cmp::Ordering;

/// An operand of the wrong type: the bytecode broke its static typing.
pub(crate) fn operand_fault(expected: &str) -> Fault {
    Fault::msg(format!("internal error: expected {expected} operands"))
}

#[inline]
fn ints(a: Value, b: Value) -> Fallible<(i64, i64)> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok((x, y)),
        _ => Err(operand_fault("int")),
    }
}

pub(crate) fn ipow(a: Value, b: Value) -> Fallible<Value> {
    let (mut base, exp) = ints(a, b)?;
    if exp < 0 {
        return fail(format!("negative exponent {exp} in integer power"));
    }
    let mut exp = exp as u64;
    let mut acc: i64 = 1;
    // Square-and-multiply with overflow checks; squaring past the last bit is skipped so
    // `2 ** 62` does not fail on an unneeded `2**64` square.
    while exp > 0 {
        if exp & 1 == 1 {
            acc = match acc.checked_mul(base) {
                Some(v) => v,
                None => return fail("integer overflow"),
            };
        }
        exp >>= 1;
        if exp > 0 {
            base = match base.checked_mul(base) {
                Some(v) => v,
                None => return fail("integer overflow"),
            };
        }
    }
    Ok(Value::Int(acc))
}

/// Python's float `%`: the result takes the divisor's sign.
pub(crate) fn fmod(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return f64::NAN;
    }
    let r = x % y;
    if r == 0.0 {
        0.0f64.copysign(y)
    } else if (r < 0.0) != (y < 0.0) {
        r + y
    } else {
        r
    }
}

#[inline]
pub(crate) fn compare(op: CmpOp, ord: Ordering) -> bool {
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

#[inline(always)]
pub(crate) fn compare_ints(op: CmpOp, x: i64, y: i64) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

/// IEEE comparisons: every comparison with NaN is false except `!=`.
#[inline]
pub(crate) fn compare_floats(op: CmpOp, x: f64, y: f64) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}
