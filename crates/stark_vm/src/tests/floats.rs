//! Float formatting matches Python's `repr`, and float arithmetic is IEEE.

use super::*;
use crate::format::float_to_string;
use stark_bytecode::Native;

#[test]
fn float_repr_table() {
    let table: &[(f64, &str)] = &[
        (10.0, "10.0"),
        (0.1, "0.1"),
        (2.5e-7, "2.5e-07"),
        (1e16, "1e+16"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
        (1.5, "1.5"),
        (123456789.0, "123456789.0"),
        (0.0001, "0.0001"),
        (1e-5, "1e-05"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (-2.5, "-2.5"),
        (1e15, "1000000000000000.0"),
        (1.5e16, "1.5e+16"),
        (1e100, "1e+100"),
        (1.2345e-300, "1.2345e-300"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1.0 / 3.0, "0.3333333333333333"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9999999999999998.0, "9999999999999998.0"),
        (0.00012, "0.00012"),
        (-1e-7, "-1e-07"),
    ];
    for &(x, want) in table {
        assert_eq!(float_to_string(x), want, "formatting {x:?}");
    }
}

#[test]
fn float_ops_and_python_modulo() {
    let cases: &[(Instr, f64, f64, &str)] = &[
        (Instr::FDiv { dst: 2, a: 0, b: 1 }, 1.0, 0.0, "inf"),
        (Instr::FDiv { dst: 2, a: 0, b: 1 }, 0.0, 0.0, "nan"),
        (Instr::FMod { dst: 2, a: 0, b: 1 }, -7.0, 2.0, "1.0"),
        (Instr::FMod { dst: 2, a: 0, b: 1 }, 7.0, -2.0, "-1.0"),
        (
            Instr::FPow { dst: 2, a: 0, b: 1 },
            2.0,
            0.5,
            "1.4142135623730951",
        ),
        (
            Instr::FAdd { dst: 2, a: 0, b: 1 },
            0.1,
            0.2,
            "0.30000000000000004",
        ),
    ];
    for (instr, a, b, want) in cases {
        let main = func(
            "main",
            &[],
            4,
            vec![
                Instr::LoadFloat { dst: 0, value: *a },
                Instr::LoadFloat { dst: 1, value: *b },
                *instr,
                Instr::CallNative {
                    dst: 3,
                    native: Native::Print,
                    args: 2,
                    argc: 1,
                },
                Instr::RetNone,
            ],
        );
        assert_eq!(
            run_ok(&module(vec![main], structs(&[]), &[])),
            format!("{want}\n"),
            "{instr:?}"
        );
    }
}
