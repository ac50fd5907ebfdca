//! f-string format specs: Python's format mini-language (`{x:.2f}`, `{n:>8}`, `{n:08d}`,
//! `{n:,}`, `{s:^9}`), parsed at compile time. The lexer parses a spec's syntax (a bad one is
//! E0010), the checker checks it against the value's type (`{s:.2f}` on a String is E0010
//! too), and the VM formats with the parsed spec in one native call (`format_spec.rs` there).
//!
//! The grammar is Python's:
//! `[[fill]align][sign]["z"]["#"]["0"][width][grouping]["." precision][type]`, and the
//! messages follow Python's `ValueError`s.

/// Where the padding goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Align {
    /// `<`
    Left,
    /// `>`
    Right,
    /// `^` (an odd padding puts the extra character on the right, as Python does)
    Center,
    /// `=`: between the sign (and `0x` prefix) and the digits.
    AfterSign,
}

/// What a non-negative number shows in front of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sign {
    /// `-` (the default): nothing.
    Minus,
    /// `+`
    Plus,
    /// ` `: a space.
    Space,
}

/// One parsed spec, as written: [`FormatSpec::fill_char`] and [`FormatSpec::alignment`]
/// fold in the `0` flag as Python does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FormatSpec {
    pub fill: Option<char>,
    pub align: Option<Align>,
    pub sign: Option<Sign>,
    /// `z`: a negative zero (after rounding) shows as a positive one.
    pub no_neg_zero: bool,
    /// `#`: `0x`/`0o`/`0b` prefixes; a decimal point and trailing zeros kept in `g`.
    pub alternate: bool,
    /// The `0` flag: zero fill (and `=` alignment for numbers when none was written).
    pub zero: bool,
    pub width: usize,
    /// `,` or `_`.
    pub grouping: Option<char>,
    pub precision: Option<usize>,
    /// One of `b c d e E f F g G n o s x X %`, or `None`.
    pub ty: Option<char>,
    /// The spec as written, for messages.
    pub text: String,
}

/// The largest width a spec may ask for (a wider field is a compile error, not a
/// gigabyte of padding).
pub const MAX_WIDTH: usize = 1 << 20;
/// The largest precision (Python has none; digits beyond this are noise).
pub const MAX_PRECISION: usize = 1000;

/// The value types a spec can format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecTarget {
    Int,
    Float,
    Str,
}

impl SpecTarget {
    /// Python's name of the type, as its messages say it.
    fn python_name(self) -> &'static str {
        match self {
            SpecTarget::Int => "Int",
            SpecTarget::Float => "Float",
            SpecTarget::Str => "String",
        }
    }
}

fn align_of(c: char) -> Option<Align> {
    Some(match c {
        '<' => Align::Left,
        '>' => Align::Right,
        '^' => Align::Center,
        '=' => Align::AfterSign,
        _ => return None,
    })
}

const TYPES: &str = "bcdeEfFgGnosxX%";

impl FormatSpec {
    /// Parses the text after an f-string hole's `:`. The error says what is wrong.
    pub fn parse(text: &str) -> Result<FormatSpec, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut spec = FormatSpec {
            fill: None,
            align: None,
            sign: None,
            no_neg_zero: false,
            alternate: false,
            zero: false,
            width: 0,
            grouping: None,
            precision: None,
            ty: None,
            text: text.to_string(),
        };
        if chars.len() >= 2 && align_of(chars[1]).is_some() {
            spec.fill = Some(chars[0]);
            spec.align = align_of(chars[1]);
            i = 2;
        } else if let Some(a) = chars.first().and_then(|&c| align_of(c)) {
            spec.align = Some(a);
            i = 1;
        }
        match chars.get(i) {
            Some('+') => spec.sign = Some(Sign::Plus),
            Some('-') => spec.sign = Some(Sign::Minus),
            Some(' ') => spec.sign = Some(Sign::Space),
            _ => {}
        }
        if spec.sign.is_some() {
            i += 1;
        }
        if chars.get(i) == Some(&'z') {
            spec.no_neg_zero = true;
            i += 1;
        }
        if chars.get(i) == Some(&'#') {
            spec.alternate = true;
            i += 1;
        }
        // As Python: `0` before the width means zero fill, unless a fill was written (then
        // it is just the width's first digit).
        if spec.fill.is_none() && chars.get(i) == Some(&'0') {
            spec.zero = true;
            i += 1;
        }
        let (width, next) = digits(&chars, i, "width", MAX_WIDTH)?;
        spec.width = width.unwrap_or(0);
        i = next;
        if let Some(&g @ (',' | '_')) = chars.get(i) {
            spec.grouping = Some(g);
            i += 1;
            if let Some(&h @ (',' | '_')) = chars.get(i) {
                return Err(if h == g {
                    format!("`{g}` is given twice")
                } else {
                    "cannot use both `,` and `_` as the thousands separator".to_string()
                });
            }
        }
        if chars.get(i) == Some(&'.') {
            let (precision, next) = digits(&chars, i + 1, "precision", MAX_PRECISION)?;
            if precision.is_none() {
                return Err("`.` must be followed by a precision".to_string());
            }
            spec.precision = precision;
            i = next;
        }
        match &chars[i..] {
            [] => {}
            [t] if TYPES.contains(*t) => spec.ty = Some(*t),
            [t] => {
                return Err(format!(
                    "unknown format type `{t}` (expected one of b c d e E f F g G n o s x X %)"
                ))
            }
            rest => {
                let rest: String = rest.iter().collect();
                return Err(format!("unexpected `{rest}` in the format spec"));
            }
        }
        if let (Some(g), Some(t)) = (spec.grouping, spec.ty) {
            let ok = match t {
                'd' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' => true,
                'b' | 'o' | 'x' | 'X' => g == '_',
                _ => false,
            };
            if !ok {
                return Err(format!("cannot use `{g}` with format type `{t}`"));
            }
        }
        Ok(spec)
    }

    /// Checks the spec against the type of the value it formats, with Python's rules.
    pub fn check(&self, target: SpecTarget) -> Result<(), String> {
        let name = target.python_name();
        let ty = self.ty;
        let unknown =
            |t: char| format!("format type `{t}` is not valid for a value of type `{name}`");
        match target {
            SpecTarget::Str => {
                if let Some(t) = ty.filter(|&t| t != 's') {
                    return Err(unknown(t));
                }
                if self.sign.is_some() {
                    return Err("a sign is not allowed for a String".to_string());
                }
                if self.no_neg_zero {
                    return Err("`z` (negative zero) is not allowed for a String".to_string());
                }
                if self.alternate {
                    return Err("`#` (alternate form) is not allowed for a String".to_string());
                }
                if self.align == Some(Align::AfterSign) {
                    return Err("`=` alignment is not allowed for a String".to_string());
                }
                if self.grouping.is_some() {
                    return Err("a thousands separator is not allowed for a String".to_string());
                }
            }
            SpecTarget::Float => {
                if let Some(t) = ty.filter(|t| !"eEfFgGn%".contains(*t)) {
                    return Err(unknown(t));
                }
                if ty == Some('n') && self.grouping.is_some() {
                    return Err("cannot use a thousands separator with format type `n`".to_string());
                }
            }
            SpecTarget::Int => {
                if ty == Some('s') {
                    return Err(unknown('s'));
                }
                let integer = ty.is_none_or(|t| "bcdnoxX".contains(t));
                if integer {
                    if self.precision.is_some() {
                        return Err(
                            "a precision is not allowed for an Int; format it as a Float: `.2f`"
                                .to_string(),
                        );
                    }
                    if self.no_neg_zero {
                        return Err("`z` (negative zero) is only for Floats".to_string());
                    }
                }
                if ty == Some('n') && self.grouping.is_some() {
                    return Err("cannot use a thousands separator with format type `n`".to_string());
                }
                if ty == Some('c') {
                    if self.sign.is_some() {
                        return Err("a sign is not allowed with format type `c`".to_string());
                    }
                    if self.alternate {
                        return Err(
                            "`#` (alternate form) is not allowed with format type `c`".to_string()
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The padding character: the written fill, else `0` with the `0` flag, else a space.
    pub fn fill_char(&self) -> char {
        self.fill.unwrap_or(if self.zero { '0' } else { ' ' })
    }

    /// The alignment: the written one, else for a number `=` with the `0` flag and right
    /// otherwise, and for a String left (its `0` flag only fills, as in Python 3.10+).
    pub fn alignment(&self, number: bool) -> Align {
        match self.align {
            Some(a) => a,
            None if !number => Align::Left,
            None if self.zero => Align::AfterSign,
            None => Align::Right,
        }
    }
}

/// Digits at `i` (none is `None`); refuses a number above `max`.
fn digits(
    chars: &[char],
    mut i: usize,
    what: &str,
    max: usize,
) -> Result<(Option<usize>, usize), String> {
    let start = i;
    let mut n: usize = 0;
    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        i += 1;
    }
    if i == start {
        return Ok((None, i));
    }
    if n > max {
        return Err(format!("{what} {n} is too large (at most {max})"));
    }
    Ok((Some(n), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pythons_forms() {
        let s = FormatSpec::parse("*^+#012,.3f").unwrap();
        assert_eq!(s.fill, Some('*'));
        assert_eq!(s.align, Some(Align::Center));
        assert_eq!(s.sign, Some(Sign::Plus));
        assert!(s.alternate);
        // A fill was written, so `0` is the width's first digit.
        assert!(!s.zero);
        assert_eq!(s.width, 12);
        assert_eq!(s.grouping, Some(','));
        assert_eq!(s.precision, Some(3));
        assert_eq!(s.ty, Some('f'));
        let z = FormatSpec::parse("08d").unwrap();
        assert_eq!(
            (z.fill_char(), z.alignment(true), z.width),
            ('0', Align::AfterSign, 8)
        );
        assert_eq!(z.alignment(false), Align::Left);
        assert!(FormatSpec::parse("").unwrap().ty.is_none());
        assert!(FormatSpec::parse(".").is_err());
        assert!(FormatSpec::parse("q").is_err());
        assert!(FormatSpec::parse("5ff").is_err());
        assert!(FormatSpec::parse(",_").is_err());
        assert!(FormatSpec::parse(",x").is_err());
        assert!(FormatSpec::parse("_x").is_ok());
        assert!(FormatSpec::parse("99999999999999999999999").is_err());
    }

    #[test]
    fn checks_the_type_as_python_does() {
        let ok = |s: &str, t| FormatSpec::parse(s).unwrap().check(t).is_ok();
        assert!(ok(".2f", SpecTarget::Float));
        assert!(ok(".2f", SpecTarget::Int));
        assert!(!ok(".2f", SpecTarget::Str));
        assert!(!ok(".2", SpecTarget::Int));
        assert!(ok(".2", SpecTarget::Str));
        assert!(!ok("d", SpecTarget::Float));
        assert!(!ok("+", SpecTarget::Str));
        assert!(ok("05", SpecTarget::Str));
        assert!(!ok("=5", SpecTarget::Str));
        assert!(!ok("+c", SpecTarget::Int));
        assert!(!ok("z", SpecTarget::Int));
        assert!(ok("z.1f", SpecTarget::Float));
    }
}
