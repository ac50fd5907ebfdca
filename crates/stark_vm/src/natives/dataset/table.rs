//! Printing a dataset or a column the way pandas prints a DataFrame or a Series
//! (docs/decisions.md, "Printing a Dataset"): every cell is written as pandas writes it
//! (a leading space for the sign; a float column with one number of decimals for all its
//! values, six at most, trailing zeros trimmed alike, scientific when values are tiny or
//! long and large; `NaN` for a missing value), each column right-aligned to its widest
//! cell or header, columns one space apart, the row numbers left-aligned first. Beyond 60
//! rows only the first and last five are shown, around a row of dots, and the size follows
//! as `[N rows x M columns]`. A last line gives each column's dtype, which pandas' table
//! does not show.

use stark_runtime::{ColType, ColumnBody, DatasetBody};
use std::fmt::Write;

/// pandas' `display.max_rows` and `display.min_rows`.
const MAX_ROWS: usize = 60;
const MIN_ROWS: usize = 10;
/// pandas' `display.precision`.
const DIGITS: usize = 6;

/// The rows shown: all, or the first and last `MIN_ROWS / 2`.
fn shown_rows(rows: usize) -> (Vec<usize>, bool) {
    if rows <= MAX_ROWS {
        ((0..rows).collect(), false)
    } else {
        let half = MIN_ROWS / 2;
        ((0..half).chain(rows - half..rows).collect(), true)
    }
}

/// Python's `"{: .6f}".format(x)` / `"{: .6e}"`.
fn fixed(x: f64, sci: bool) -> String {
    if x.is_infinite() {
        return if x > 0.0 { " inf" } else { "-inf" }.to_string();
    }
    let mut s = if sci {
        let t = format!("{x:.DIGITS$e}");
        let (m, e) = t.split_once('e').unwrap_or((&t, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        format!("{x:.DIGITS$}")
    };
    if !s.starts_with('-') {
        s.insert(0, ' ');
    }
    s
}

/// Whether `s` is what `_trim_zeros_float` trims: digits, a point, digits.
fn has_decimals(s: &str) -> bool {
    let t = s.trim_start().trim_start_matches(['+', '-']);
    match t.split_once('.') {
        Some((i, f)) => {
            !i.is_empty()
                && i.bytes().all(|c| c.is_ascii_digit())
                && f.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// pandas' `_trim_zeros_float`: trailing zeros taken off all numbers alike, one kept
/// after the point.
fn trim_zeros(cells: &mut [String]) {
    loop {
        let mut numbers = cells.iter().filter(|c| has_decimals(c)).peekable();
        if numbers.peek().is_none() || !numbers.all(|c| c.ends_with('0')) {
            break;
        }
        for c in cells.iter_mut().filter(|c| has_decimals(c)) {
            c.pop();
        }
    }
    for c in cells.iter_mut() {
        if has_decimals(c) && c.ends_with('.') {
            c.push('0');
        }
    }
}

/// A float column's cells for the rows shown (pandas' `FloatArrayFormatter`).
fn float_cells(c: &ColumnBody, rows: &[usize]) -> Vec<String> {
    let values: Vec<f64> = rows.iter().map(|&i| c.f64_at(i)).collect();
    let cells_of = |sci: bool| {
        let mut cells: Vec<String> = values
            .iter()
            .map(|&x| {
                if x.is_nan() {
                    "NaN".to_string()
                } else {
                    fixed(x, sci)
                }
            })
            .collect();
        trim_zeros(&mut cells);
        cells
    };
    let cells = cells_of(false);
    let too_long = cells.iter().map(|s| s.len()).max().unwrap_or(0) > DIGITS + 6;
    let finite = values.iter().filter(|x| !x.is_nan()).map(|x| x.abs());
    let large = finite.clone().any(|x| x > 1e6);
    let small = finite
        .clone()
        .any(|x| x > 0.0 && x < 10f64.powi(-(DIGITS as i32)));
    if small || (too_long && large) {
        cells_of(true)
    } else {
        cells
    }
}

/// The cells of column `c` for the rows shown.
fn cells(c: &ColumnBody, rows: &[usize]) -> Vec<String> {
    if c.dtype() == ColType::Float {
        return float_cells(c, rows);
    }
    rows.iter()
        .map(|&i| {
            // pandas writes every cell of a non-float column after a space, a missing
            // one's `NaN` too.
            if c.is_missing(i) {
                return " NaN".to_string();
            }
            match c.dtype() {
                ColType::Int => {
                    let n = c.int_values().expect("int64")[i];
                    if n < 0 {
                        n.to_string()
                    } else {
                        format!(" {n}")
                    }
                }
                ColType::Bool => {
                    if c.f64_at(i) != 0.0 {
                        " True".to_string()
                    } else {
                        " False".to_string()
                    }
                }
                _ => format!(" {}", escaped(c.str_values().expect("string").value(i))),
            }
        })
        .collect()
}

/// Tabs and line breaks as pandas' `pprint_thing` shows them in a table (`\t`, `\n`, `\r`).
fn escaped(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\t', '\n', '\r']) {
        return s.into();
    }
    s.replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .into()
}

/// Python's `str.center`: the odd space goes left when the width is odd.
fn center(s: &str, w: usize) -> String {
    let marg = w.saturating_sub(width(s));
    let left = marg / 2 + (marg & w & 1);
    let mut out = " ".repeat(left);
    out.push_str(s);
    out.push_str(&" ".repeat(marg - left));
    out
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad_left(out: &mut String, s: &str, w: usize) {
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    out.push_str(s);
}

fn pad_right(out: &mut String, s: &str, w: usize) {
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
}

/// The dots a truncated column shows, as wide as its cells.
fn dots(w: usize) -> &'static str {
    if w > 3 {
        "..."
    } else {
        ".."
    }
}

/// Writes the table: a header row (none for a column, which pandas sets three spaces from
/// its row numbers and leaves them blank on the dots row), then the rows shown, dots where
/// rows are left out.
fn write_table(
    out: &mut String,
    headers: Option<&[&str]>,
    columns: &[Vec<String>],
    rows: &[usize],
    truncated: bool,
) {
    let sep = if headers.is_some() { " " } else { "   " };
    let labels: Vec<String> = rows.iter().map(|i| i.to_string()).collect();
    let iw = labels.iter().map(|l| width(l)).max().unwrap_or(0);
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(k, cells)| {
            let h = headers.map_or(0, |h| width(h[k]));
            cells.iter().map(|c| width(c)).max().unwrap_or(0).max(h)
        })
        .collect();
    if let Some(h) = headers {
        pad_right(out, "", iw);
        for (k, name) in h.iter().enumerate() {
            out.push(' ');
            pad_left(out, name, widths[k]);
        }
        out.push('\n');
    }
    for (r, label) in labels.iter().enumerate() {
        if truncated && r == MIN_ROWS / 2 {
            pad_right(out, if headers.is_some() { dots(iw) } else { "" }, iw);
            for &w in &widths {
                out.push_str(sep);
                if headers.is_some() {
                    pad_left(out, dots(w), w);
                } else {
                    // A Series centres its dots.
                    out.push_str(&center(dots(w), w));
                }
            }
            out.push('\n');
        }
        pad_right(out, label, iw);
        for (k, cells) in columns.iter().enumerate() {
            out.push_str(sep);
            pad_left(out, &cells[r], widths[k]);
        }
        out.push('\n');
    }
}

/// `print(d)`.
pub(crate) fn write_dataset(out: &mut String, d: &DatasetBody) {
    let names: Vec<&str> = d.columns.iter().map(|(n, _)| n.as_str()).collect();
    if d.rows == 0 || d.columns.is_empty() {
        let _ = write!(out, "Empty Dataset\nColumns: [{}]\n", names.join(", "));
    } else {
        let (rows, truncated) = shown_rows(d.rows);
        let columns: Vec<Vec<String>> = d
            .columns
            .iter()
            .map(|(_, c)| cells(c.column(), &rows))
            .collect();
        // pandas gives the headers of numeric (and bool) columns a leading space, as their
        // cells have.
        let headers: Vec<String> = d
            .columns
            .iter()
            .map(|(n, c)| {
                if c.column().dtype().is_numeric() {
                    format!(" {}", escaped(n))
                } else {
                    escaped(n).into_owned()
                }
            })
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        write_table(out, Some(&headers), &columns, &rows, truncated);
        if truncated {
            let _ = writeln!(out, "\n[{} rows x {} columns]", d.rows, names.len());
        }
    }
    if !d.group_keys.is_empty() {
        let _ = writeln!(out, "grouped by: {}", d.group_keys.join(", "));
    }
    out.push_str("dtypes: ");
    for (k, (n, c)) in d.columns.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{n} {}", c.column().dtype().name());
    }
}

/// `print(col)`: pandas' unnamed Series.
pub(crate) fn write_column(out: &mut String, c: &ColumnBody) {
    let (rows, truncated) = shown_rows(c.len());
    if c.is_empty() {
        let _ = write!(out, "Column([], dtype: {})", c.dtype().name());
        return;
    }
    let columns = vec![cells(c, &rows)];
    write_table(out, None, &columns, &rows, truncated);
    if truncated {
        let _ = write!(out, "Length: {}, ", c.len());
    }
    let _ = write!(out, "dtype: {}", c.dtype().name());
}

/// Keeps Python's float text at hand for the tests below.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_trim_alike_as_pandas() {
        let mut cells = vec![
            fixed(12.5, false),
            fixed(3.0, false),
            "NaN".to_string(),
            fixed(2.25, false),
        ];
        trim_zeros(&mut cells);
        assert_eq!(cells, [" 12.50", " 3.00", "NaN", " 2.25"]);
        assert_eq!(fixed(1e20, true), " 1.000000e+20");
    }
}
