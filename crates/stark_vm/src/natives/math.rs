//! The `math` namespace (SPEC §5), with Python's `math` module's results and errors: a
//! result outside a function's domain is "math domain error", one too large for a Float is
//! "math range error", and a NaN argument gives NaN. Int arguments arrive converted.

use super::numeric::{float_arg, float_to_int};
use super::operands::arg;
use crate::error::{fail, Fallible};
use stark_runtime::Value;

fn domain<T>() -> Fallible<T> {
    fail("math domain error")
}

fn range<T>() -> Fallible<T> {
    fail("math range error")
}

fn float(x: f64) -> Fallible<Value> {
    Ok(Value::Float(x))
}

pub(crate) fn sqrt(a: &[Value]) -> Fallible<Value> {
    let x = float_arg(a, 0)?;
    if x < 0.0 {
        return domain();
    }
    float(x.sqrt())
}

pub(crate) fn exp(a: &[Value]) -> Fallible<Value> {
    let x = float_arg(a, 0)?;
    let r = x.exp();
    if r.is_infinite() && x.is_finite() {
        return range();
    }
    float(r)
}

/// A logarithm defined for positive `x` only (`log(0)` is a domain error, as in Python).
fn positive_log(x: f64, f: fn(f64) -> f64) -> Fallible<f64> {
    if x <= 0.0 {
        return domain();
    }
    Ok(f(x))
}

/// `math.log(x)`, `math.log(x, base)` (= `log(x) / log(base)`).
pub(crate) fn log(a: &[Value]) -> Fallible<Value> {
    let x = positive_log(float_arg(a, 0)?, f64::ln)?;
    match arg(a, 1) {
        Value::None => float(x),
        _ => {
            let b = positive_log(float_arg(a, 1)?, f64::ln)?;
            if b == 0.0 {
                return fail("float division by zero");
            }
            float(x / b)
        }
    }
}

pub(crate) fn log2(a: &[Value]) -> Fallible<Value> {
    float(positive_log(float_arg(a, 0)?, f64::log2)?)
}

pub(crate) fn log10(a: &[Value]) -> Fallible<Value> {
    float(positive_log(float_arg(a, 0)?, f64::log10)?)
}

/// `sin`, `cos`, `tan`: an infinite argument is a domain error.
pub(crate) fn trig(a: &[Value], f: fn(f64) -> f64) -> Fallible<Value> {
    let x = float_arg(a, 0)?;
    if x.is_infinite() {
        return domain();
    }
    float(f(x))
}

pub(crate) fn atan2(a: &[Value]) -> Fallible<Value> {
    float(float_arg(a, 0)?.atan2(float_arg(a, 1)?))
}

/// `math.floor(x) -> Int` / `math.ceil`: NaN and inf are Python's errors.
pub(crate) fn to_int(a: &[Value], f: fn(f64) -> f64) -> Fallible<Value> {
    match arg(a, 0) {
        Value::Int(i) => Ok(Value::Int(i)),
        _ => float_to_int(f(float_arg(a, 0)?)),
    }
}

pub(crate) fn isnan(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Bool(float_arg(a, 0)?.is_nan()))
}

pub(crate) fn isinf(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Bool(float_arg(a, 0)?.is_infinite()))
}

/// `math.pow(x, y)`: C's `pow`, whose special cases (`0 ** -1`, `nan ** 0`, …) Python
/// keeps, and Python's errors for finite arguments: a NaN result (a negative base and a
/// fractional exponent) or `0.0 ** negative` is a domain error, an overflow a range error.
pub(crate) fn pow(a: &[Value]) -> Fallible<Value> {
    let (x, y) = (float_arg(a, 0)?, float_arg(a, 1)?);
    let r = x.powf(y);
    if x.is_finite() && y.is_finite() {
        if r.is_nan() || (r.is_infinite() && x == 0.0) {
            return domain();
        }
        if r.is_infinite() {
            return range();
        }
    }
    float(r)
}

pub(crate) fn hypot(a: &[Value]) -> Fallible<Value> {
    float(float_arg(a, 0)?.hypot(float_arg(a, 1)?))
}
