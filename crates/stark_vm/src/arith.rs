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

/// Float `**`. `x ** 0.5` (nbody's distance, and the usual square root: there is no `sqrt`
/// built-in) costs a libm `pow` call, a fifth of nbody's time; `pow_half` returns the same
/// double far more cheaply.
#[inline]
pub(crate) fn fpow(x: f64, y: f64) -> f64 {
    if y == 0.5 {
        pow_half(x)
    } else {
        x.powf(y)
    }
}

/// `x.powf(0.5)`, bit for bit, usually without calling `pow`.
///
/// `sqrt` is correctly rounded but libm's `pow` is not: glibc's and musl's (the same Arm
/// code) document a worst-case error of 0.54 ULP, and they do return a neighbour of
/// `sqrt(x)` for about one `x` in a thousand, when the exact root lies within a few
/// hundredths of an ULP of the midpoint between two doubles. So `sqrt(x)` is returned only
/// when the exact root is provably within 0.45 ULP of it: every other double is then more
/// than 0.55 ULP away, and a `pow` with less than 0.55 ULP of error must round to `sqrt(x)`
/// too. That holds for about nine `x` in ten; the rest, and everything outside
/// `[2^-600, 2^600]` (zeros, negatives, infinities, NaN, subnormals — where `pow` and
/// `sqrt` differ on `-0.0` and `-inf` anyway), go to `pow`.
#[inline]
fn pow_half(x: f64) -> f64 {
    const LO: f64 = 2.409919865102884e-181; // 2^-600
    const HI: f64 = 4.149515568880993e180; // 2^600
    if !(LO..=HI).contains(&x) {
        return libm_pow(x, 0.5);
    }
    let s = x.sqrt();
    // The residual s*s - x, exact but for a rounding far below the margin used: Dekker's
    // product (s split into halves of at most 26 bits, so every partial product is exact;
    // `hi*hi - x` is exact by Sterbenz's lemma). The range check keeps all of it normal.
    let c = 134_217_729.0 * s; // 2^27 + 1
    let hi = c - (c - s);
    let lo = s - hi;
    let r = ((hi * hi - x) + 2.0 * hi * lo) + lo * lo;
    // exact root - s = -r / (root + s) ~ -r / 2s; within 0.45 ULP of s when |r| < 0.9 s ulp(s).
    let ulp = f64::from_bits(s.to_bits() & 0x7ff0_0000_0000_0000) * f64::EPSILON;
    if r.abs() < 0.9 * s * ulp {
        s
    } else {
        libm_pow(x, 0.5)
    }
}

/// The C library's `pow`. LLVM rewrites `powf` with a constant exponent of 0.5 into
/// `sqrt` (assuming a correctly rounded `pow`, which glibc's is not); hiding the exponent
/// keeps the call.
#[inline]
fn libm_pow(x: f64, y: f64) -> f64 {
    x.powf(std::hint::black_box(y))
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

#[cfg(test)]
mod tests {
    use super::{libm_pow, pow_half};

    fn check(x: f64) {
        let want = libm_pow(x, 0.5);
        let got = pow_half(x);
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "pow_half({x:e}) = {got:e}, powf gives {want:e}"
        );
    }

    #[test]
    fn pow_half_special_values() {
        for x in [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -1.0,
            -1e-300,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            1.0,
            4.0,
            2.0,
        ] {
            check(x);
        }
        assert_eq!(pow_half(-0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(pow_half(f64::NEG_INFINITY), f64::INFINITY);
    }

    #[test]
    fn pow_half_matches_powf() {
        // xorshift64: random doubles of every exponent, and roots near rounding midpoints
        // (x = m^2 rounded, m halfway between two doubles), where `pow` is likeliest to differ.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300_000 {
            check(f64::from_bits(next() >> 1));
            let m = (1u64 << 53) | next() >> 11 | 1; // 54-bit odd: a midpoint in [2^53, 2^54)
            let sq = (m as u128) * (m as u128);
            let shift = 128 - sq.leading_zeros() - 53;
            let sig = (sq >> shift) as u64;
            for d in [-1i64, 0, 1] {
                let x = (sig as i64 + d) as f64 * 2f64.powi(shift as i32 - 106);
                let e = (next() % 1200) as i32 - 600;
                check(x);
                check(x * 2f64.powi(2 * e));
            }
        }
    }
}
