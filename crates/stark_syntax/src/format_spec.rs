//! f-string format specs: Python's format mini-language (`{x:.2f}`, `{n:>8}`, `{n:08d}`,
//! `{n:,}`, `{s:^9}`), parsed at compile time. The lexer parses a spec's syntax (a bad one is
//! E0010), the checker checks it against the value's type (`{s:.2f}` on a String is E0010
//! too), and the VM formats with the parsed spec in one native call (`fmtspec.rs` there).
//! A spec with nested fields (`{x:>{w}.{p}f}`) is parsed when the f-string runs, by the
//! same [`FormatSpec::parse`]; the checker rejects one that no value of its fields could
//! make valid ([`invalid_for_all`]).
//!
//! The grammar is Python's:
//! `[[fill]align][sign]["z"]["#"]["0"][width][grouping]["." precision][type]`, and the
//! messages follow Python's `ValueError`s.

/// An f-string conversion, applied to the value before its spec: `!s` (the value as `str`
/// shows it), `!r` (Python's `repr`: a String quoted and escaped; any other value as `str`
/// shows it), `!a` (`!r` with every non-ASCII character escaped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Conversion {
    Str,
    Repr,
    Ascii,
}

impl Conversion {
    /// The conversion written `!c`.
    pub fn from_char(c: char) -> Option<Conversion> {
        Some(match c {
            's' => Conversion::Str,
            'r' => Conversion::Repr,
            'a' => Conversion::Ascii,
            _ => return None,
        })
    }
}

/// How one operand of an f-string is written (`Module::formats`): the literal text before
/// it, then the operand by its conversion and its spec. A literal piece of the f-string
/// that is an operand of its own has neither conversion nor spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldFormat {
    /// The f-string's literal text right before this operand, written from the table
    /// rather than loaded as an operand of its own (lowering moves it here).
    pub lit: String,
    pub conv: Option<Conversion>,
    pub spec: FieldSpec,
}

/// An operand's spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FieldSpec {
    #[default]
    None,
    /// Parsed and checked by the compiler.
    Static(FormatSpec),
    /// A spec with nested fields, built when the f-string runs: its text in order, `None`
    /// for each nested field. The fields are the operands right after this one, each
    /// written by its own `FieldFormat` (never `Nested`) into the spec instead of the
    /// output.
    Nested(Vec<Option<String>>),
}

impl FieldFormat {
    /// How many operands after this one are its spec's nested fields.
    pub fn nested_fields(&self) -> usize {
        match &self.spec {
            FieldSpec::Nested(pieces) => pieces.iter().filter(|p| p.is_none()).count(),
            _ => 0,
        }
    }

    /// Written as `str()` writes it: no conversion, no spec.
    pub fn is_plain(&self) -> bool {
        self.conv.is_none() && self.spec == FieldSpec::None
    }
}

/// One piece of a nested spec for [`invalid_for_all`]: literal text, or a field with the
/// texts it may have (every text its type can print, as far as the spec's parse can tell
/// them apart).
#[derive(Clone, Copy, Debug)]
pub enum SpecSample<'a> {
    Lit(&'a str),
    Field(&'a [String]),
}

/// The texts that stand for every Int a nested field may print: to the spec's parse a
/// digit string differs only in its first character (`0` is the zero flag, a sign is a
/// sign) and in whether a second one follows (a fill needs an alignment right after it);
/// its size matters only past the limits, which no sample reaches.
pub const INT_SAMPLES: [&str; 5] = ["1", "10", "0", "-1", "-10"];

/// The most combinations of samples [`invalid_for_all`] tries.
const MAX_TRIES: usize = 4096;

/// For a nested spec (`{x:>{w}.{p}f}`) formatting a `target`: the first combination of
/// its fields' samples and its error when every combination is invalid, so the spec is
/// invalid whatever the fields hold; `None` when one is valid (or there are too many to
/// try: the spec is then checked when it runs).
pub fn invalid_for_all(
    pieces: &[SpecSample<'_>],
    target: SpecTarget,
) -> Option<(String, SpecError)> {
    let fields: Vec<&[String]> = pieces
        .iter()
        .filter_map(|p| match p {
            SpecSample::Field(texts) => Some(*texts),
            SpecSample::Lit(_) => None,
        })
        .collect();
    let mut tries: usize = 1;
    for f in &fields {
        if f.is_empty() {
            return None;
        }
        tries = tries.saturating_mul(f.len());
    }
    if tries > MAX_TRIES {
        return None;
    }
    let mut first = None;
    // An odometer over the fields' samples.
    let mut at = vec![0usize; fields.len()];
    loop {
        let mut text = String::new();
        let mut k = 0;
        for p in pieces {
            match p {
                SpecSample::Lit(s) => text.push_str(s),
                SpecSample::Field(texts) => {
                    text.push_str(&texts[at[k]]);
                    k += 1;
                }
            }
        }
        match FormatSpec::parse(&text).and_then(|s| s.check(target)) {
            Ok(()) => return None,
            Err(e) => {
                if first.is_none() {
                    first = Some((text, e));
                }
            }
        }
        let mut d = 0;
        loop {
            if d == at.len() {
                return first;
            }
            at[d] += 1;
            if at[d] < fields[d].len() {
                break;
            }
            at[d] = 0;
            d += 1;
        }
    }
}

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
    /// The type's name, as STARK's messages say it.
    pub fn name(self) -> &'static str {
        match self {
            SpecTarget::Int => "Int",
            SpecTarget::Float => "Float",
            SpecTarget::Str => "String",
        }
    }
}

/// What is wrong with a spec. One value, two wordings: [`SpecError::explain`] for the
/// compiler's E0010 label, [`SpecError::python`] for the runtime error of a spec built when
/// the program runs (`{x:{w}}`), which is CPython's `ValueError` message. The errors come
/// in the order CPython finds them, so both name the fault CPython would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// More than one character left where the type goes (`5ff`): the rest.
    Invalid(String),
    /// A `.` without digits.
    MissingPrecision,
    /// A width or precision past STARK's limits (`what` is "width" or "precision").
    TooLarge {
        what: &'static str,
        n: usize,
        max: usize,
    },
    /// `,` and `_` together.
    BothSeparators,
    /// A separator on a String (whose type defaults to `s`).
    StrSeparator(char),
    /// A separator with a type it does not suit (`,x`; `,,` is `,` with type `,`).
    SeparatorWithType { sep: char, ty: char },
    /// A type letter Python's mini-language does not have.
    UnknownType(char),
    /// A type the target does not take (`{s:.2f}`, `{x:d}`).
    WrongType { ty: char, target: SpecTarget },
    /// A precision with an integer presentation type.
    IntPrecision,
    /// `z` on an Int or a String.
    NoNegZero(SpecTarget),
    /// A sign with type `c`.
    CharSign,
    /// `#` with type `c`.
    CharAlternate,
    /// A sign on a String (Python words a space apart).
    StrSign(Sign),
    /// `#` on a String.
    StrAlternate,
    /// `=` alignment on a String.
    StrAfterSign,
}

impl SpecError {
    /// The compiler's explanation.
    pub fn explain(&self) -> String {
        match self {
            SpecError::Invalid(rest) => format!("unexpected `{rest}` in the format spec"),
            SpecError::MissingPrecision => "`.` must be followed by a precision".to_string(),
            SpecError::TooLarge { what, n, max } => {
                format!("{what} {n} is too large (at most {max})")
            }
            SpecError::BothSeparators => {
                "cannot use both `,` and `_` as the thousands separator".to_string()
            }
            SpecError::SeparatorWithType { sep, ty } if sep == ty => {
                format!("`{sep}` is given twice")
            }
            SpecError::StrSeparator(_) => {
                "a thousands separator is not allowed for a String".to_string()
            }
            SpecError::SeparatorWithType { sep, ty } => {
                format!("cannot use `{sep}` with format type `{ty}`")
            }
            SpecError::UnknownType(t) => {
                format!("unknown format type `{t}` (expected one of b c d e E f F g G n o s x X %)")
            }
            SpecError::WrongType { ty, target } => format!(
                "format type `{ty}` is not valid for a value of type `{}`",
                target.name()
            ),
            SpecError::IntPrecision => {
                "a precision is not allowed for an Int; format it as a Float: `.2f`".to_string()
            }
            SpecError::NoNegZero(SpecTarget::Str) => {
                "`z` (negative zero) is not allowed for a String".to_string()
            }
            SpecError::NoNegZero(_) => "`z` (negative zero) is only for Floats".to_string(),
            SpecError::CharSign => "a sign is not allowed with format type `c`".to_string(),
            SpecError::CharAlternate => {
                "`#` (alternate form) is not allowed with format type `c`".to_string()
            }
            SpecError::StrSign(_) => "a sign is not allowed for a String".to_string(),
            SpecError::StrAlternate => {
                "`#` (alternate form) is not allowed for a String".to_string()
            }
            SpecError::StrAfterSign => "`=` alignment is not allowed for a String".to_string(),
        }
    }

    /// CPython's message for the spec `text` formatting a value of type `target`, with
    /// STARK's name of the type. A width or precision past STARK's limits, which Python
    /// has not, keeps STARK's wording (Python's own only for a number past any size).
    pub fn python(&self, text: &str, target: SpecTarget) -> String {
        // CPython writes a character it cannot show as `\x..`.
        let shown = |c: char| {
            if (c as u32) > 32 && (c as u32) < 128 {
                c.to_string()
            } else {
                format!("\\x{:x}", c as u32)
            }
        };
        let kind = match target {
            SpecTarget::Str => "string",
            _ => "integer",
        };
        match self {
            SpecError::Invalid(_) => format!(
                "Invalid format specifier '{text}' for object of type '{}'",
                target.name()
            ),
            SpecError::MissingPrecision => "Format specifier missing precision".to_string(),
            SpecError::TooLarge { n, .. } if *n > isize::MAX as usize => {
                "Too many decimal digits in format string".to_string()
            }
            SpecError::TooLarge { .. } => self.explain(),
            SpecError::BothSeparators => "Cannot specify both ',' and '_'.".to_string(),
            SpecError::SeparatorWithType { sep, ty } => {
                format!("Cannot specify '{sep}' with '{}'.", shown(*ty))
            }
            SpecError::StrSeparator(sep) => format!("Cannot specify '{sep}' with 's'."),
            SpecError::UnknownType(ty) | SpecError::WrongType { ty, .. } => format!(
                "Unknown format code '{}' for object of type '{}'",
                shown(*ty),
                target.name()
            ),
            SpecError::IntPrecision => {
                "Precision not allowed in integer format specifier".to_string()
            }
            SpecError::NoNegZero(_) => {
                format!("Negative zero coercion (z) not allowed in {kind} format specifier")
            }
            SpecError::CharSign => "Sign not allowed with integer format specifier 'c'".to_string(),
            SpecError::CharAlternate => {
                "Alternate form (#) not allowed with integer format specifier 'c'".to_string()
            }
            SpecError::StrSign(Sign::Space) => {
                "Space not allowed in string format specifier".to_string()
            }
            SpecError::StrSign(_) => "Sign not allowed in string format specifier".to_string(),
            SpecError::StrAlternate => {
                "Alternate form (#) not allowed in string format specifier".to_string()
            }
            SpecError::StrAfterSign => {
                "'=' alignment not allowed in string format specifier".to_string()
            }
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
    /// Parses the text after an f-string hole's `:`, step by step as CPython's
    /// `parse_internal_render_format_spec`; what depends on the value's type is
    /// [`FormatSpec::check`]'s.
    pub fn parse(text: &str) -> Result<FormatSpec, SpecError> {
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
        let (width, next) = digits(&chars, i);
        spec.width = width.unwrap_or(0);
        i = next;
        if chars.get(i) == Some(&',') {
            spec.grouping = Some(',');
            i += 1;
        }
        if chars.get(i) == Some(&'_') {
            if spec.grouping.is_some() {
                return Err(SpecError::BothSeparators);
            }
            spec.grouping = Some('_');
            i += 1;
        }
        if chars.get(i) == Some(&',') && spec.grouping == Some('_') {
            return Err(SpecError::BothSeparators);
        }
        if chars.get(i) == Some(&'.') {
            let (precision, next) = digits(&chars, i + 1);
            if precision.is_none() {
                return Err(SpecError::MissingPrecision);
            }
            spec.precision = precision;
            i = next;
        }
        match &chars[i..] {
            [] => {}
            [t] => spec.ty = Some(*t),
            rest => return Err(SpecError::Invalid(rest.iter().collect())),
        }
        if let (Some(sep), Some(ty)) = (spec.grouping, spec.ty) {
            let ok = match ty {
                'd' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' => true,
                'b' | 'o' | 'x' | 'X' => sep == '_',
                _ => false,
            };
            if !ok {
                return Err(SpecError::SeparatorWithType { sep, ty });
            }
        }
        if let Some(t) = spec.ty.filter(|t| !TYPES.contains(*t)) {
            return Err(SpecError::UnknownType(t));
        }
        // STARK's limits come last, so that a spec Python refuses gets Python's reason.
        let too_large = |what, n, max| SpecError::TooLarge { what, n, max };
        if spec.width > MAX_WIDTH {
            return Err(too_large("width", spec.width, MAX_WIDTH));
        }
        match spec.precision {
            Some(p) if p > MAX_PRECISION => Err(too_large("precision", p, MAX_PRECISION)),
            _ => Ok(spec),
        }
    }

    /// Checks the spec against the type of the value it formats, with Python's rules, in
    /// the order CPython checks them.
    pub fn check(&self, target: SpecTarget) -> Result<(), SpecError> {
        let ty = self.ty;
        let wrong = |ty: char| SpecError::WrongType { ty, target };
        match target {
            SpecTarget::Str => {
                // A String's type defaults to `s`, which CPython's parse already refuses
                // a separator with.
                if let (Some(sep), None | Some('s')) = (self.grouping, ty) {
                    return Err(SpecError::StrSeparator(sep));
                }
                if let Some(t) = ty.filter(|&t| t != 's') {
                    return Err(wrong(t));
                }
                if let Some(sign) = self.sign {
                    return Err(SpecError::StrSign(sign));
                }
                if self.no_neg_zero {
                    return Err(SpecError::NoNegZero(target));
                }
                if self.alternate {
                    return Err(SpecError::StrAlternate);
                }
                if self.align == Some(Align::AfterSign) {
                    return Err(SpecError::StrAfterSign);
                }
            }
            SpecTarget::Float => {
                if let Some(t) = ty.filter(|t| !"eEfFgGn%".contains(*t)) {
                    return Err(wrong(t));
                }
            }
            SpecTarget::Int => {
                if ty == Some('s') {
                    return Err(wrong('s'));
                }
                let integer = ty.is_none_or(|t| "bcdnoxX".contains(t));
                if integer {
                    if self.precision.is_some() {
                        return Err(SpecError::IntPrecision);
                    }
                    if self.no_neg_zero {
                        return Err(SpecError::NoNegZero(target));
                    }
                }
                if ty == Some('c') {
                    if self.sign.is_some() {
                        return Err(SpecError::CharSign);
                    }
                    if self.alternate {
                        return Err(SpecError::CharAlternate);
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

/// The number written at `i` (`None` when no digit is; one past any size saturates).
fn digits(chars: &[char], mut i: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n: usize = 0;
    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        i += 1;
    }
    ((i > start).then_some(n), i)
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

    #[test]
    fn runtime_messages_are_pythons() {
        use SpecTarget::*;
        // Each message is what CPython 3.11's `format(value, spec)` raises for a value of
        // that type (5, 1.5, "ab"), computed with python3, with STARK's name of the type.
        let cases = [
            (
                Int,
                r#".2"#,
                r#"Precision not allowed in integer format specifier"#,
            ),
            (
                Int,
                r#"z"#,
                r#"Negative zero coercion (z) not allowed in integer format specifier"#,
            ),
            (
                Int,
                r#"+c"#,
                r#"Sign not allowed with integer format specifier 'c'"#,
            ),
            (
                Int,
                r#"#c"#,
                r#"Alternate form (#) not allowed with integer format specifier 'c'"#,
            ),
            (
                Int,
                r#"s"#,
                r#"Unknown format code 's' for object of type 'Int'"#,
            ),
            (
                Int,
                r#"q"#,
                r#"Unknown format code 'q' for object of type 'Int'"#,
            ),
            (Int, r#",n"#, r#"Cannot specify ',' with 'n'."#),
            (Int, r#",,"#, r#"Cannot specify ',' with ','."#),
            (Int, r#"__"#, r#"Cannot specify '_' with '_'."#),
            (Int, r#",_"#, r#"Cannot specify both ',' and '_'."#),
            (Int, r#"_,"#, r#"Cannot specify both ',' and '_'."#),
            (Int, r#",x"#, r#"Cannot specify ',' with 'x'."#),
            (
                Int,
                r#"5ff"#,
                r#"Invalid format specifier '5ff' for object of type 'Int'"#,
            ),
            (Int, r#"."#, r#"Format specifier missing precision"#),
            (Int, r#",q"#, r#"Cannot specify ',' with 'q'."#),
            (
                Int,
                "\u{1}",
                r#"Unknown format code '\x1' for object of type 'Int'"#,
            ),
            (
                Float,
                r#"d"#,
                r#"Unknown format code 'd' for object of type 'Float'"#,
            ),
            (
                Float,
                r#"c"#,
                r#"Unknown format code 'c' for object of type 'Float'"#,
            ),
            (Float, r#",n"#, r#"Cannot specify ',' with 'n'."#),
            (
                Str,
                r#"+"#,
                r#"Sign not allowed in string format specifier"#,
            ),
            (
                Str,
                r#" "#,
                r#"Space not allowed in string format specifier"#,
            ),
            (
                Str,
                r#"-"#,
                r#"Sign not allowed in string format specifier"#,
            ),
            (
                Str,
                r#"z"#,
                r#"Negative zero coercion (z) not allowed in string format specifier"#,
            ),
            (
                Str,
                r#"#"#,
                r#"Alternate form (#) not allowed in string format specifier"#,
            ),
            (
                Str,
                r#"=5"#,
                r#"'=' alignment not allowed in string format specifier"#,
            ),
            (Str, r#","#, r#"Cannot specify ',' with 's'."#),
            (Str, r#"_"#, r#"Cannot specify '_' with 's'."#),
            (
                Str,
                r#".2f"#,
                r#"Unknown format code 'f' for object of type 'String'"#,
            ),
            (
                Str,
                r#",d"#,
                r#"Unknown format code 'd' for object of type 'String'"#,
            ),
            (Str, r#"+,"#, r#"Cannot specify ',' with 's'."#),
            (
                Str,
                r#"x<<"#,
                r#"Unknown format code '<' for object of type 'String'"#,
            ),
            (
                Str,
                r#"+z#=5"#,
                r#"Invalid format specifier '+z#=5' for object of type 'String'"#,
            ),
            (
                Int,
                r#"99999999999999999999999"#,
                r#"Too many decimal digits in format string"#,
            ),
        ];
        for (target, text, want) in cases {
            let got = FormatSpec::parse(text)
                .and_then(|s| s.check(target))
                .map_err(|e| e.python(text, target));
            assert_eq!(got, Err(want.to_string()), "{text:?} for {target:?}");
        }
        // STARK's own limits (Python has none) keep STARK's wording.
        let big = FormatSpec::parse("2000000").unwrap_err();
        assert_eq!(
            big.python("2000000", Float),
            "width 2000000 is too large (at most 1048576)"
        );
    }

    #[test]
    fn nested_specs_are_refused_only_when_no_field_value_helps() {
        let ints: Vec<String> = INT_SAMPLES.iter().map(|s| s.to_string()).collect();
        let fill = ["*".to_string()];
        let check = |pieces: &[SpecSample<'_>], t| invalid_for_all(pieces, t).map(|(s, _)| s);
        let w = SpecSample::Field(&ints);
        let lit = SpecSample::Lit;
        // `{x:{w}}`, `{x:>{w}.{p}f}`, `{s:{"*"}^{w}}`: some width makes each valid.
        assert_eq!(check(&[w], SpecTarget::Float), None);
        assert_eq!(
            check(&[lit(">"), w, lit("."), w, lit("f")], SpecTarget::Float),
            None
        );
        assert_eq!(
            check(&[SpecSample::Field(&fill), lit("^"), w], SpecTarget::Str),
            None
        );
        // `{w}<`: only a one-digit Int is a fill.
        assert_eq!(check(&[w, lit("<")], SpecTarget::Int), None);
        // `{x:{w}q}`, `{s:{w}.2f}`, `{n:.{p}}`: no value helps.
        assert_eq!(
            check(&[w, lit("q")], SpecTarget::Float).as_deref(),
            Some("1q")
        );
        assert_eq!(
            check(&[w, lit(".2f")], SpecTarget::Str).as_deref(),
            Some("1.2f")
        );
        assert_eq!(
            check(&[lit("."), w], SpecTarget::Int).as_deref(),
            Some(".1")
        );
        // A field that could print anything leaves the spec to run time.
        assert_eq!(
            check(&[SpecSample::Field(&[]), lit("q")], SpecTarget::Int),
            None
        );
    }
}
