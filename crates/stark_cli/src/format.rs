//! `stark fmt [--check] [PATH…]` (SPEC §10): the files in the canonical style of
//! `stark_syntax::fmt`, rewritten in place, or with `--check` only listed.

use crate::driver::{read_text, EXIT_COMPILE, EXIT_OK, EXIT_RUNTIME};
use crate::render::{self, SourceFile};
use stark_syntax::fmt::{format_source, FormatError};
use std::io::Read as _;
use std::path::{Path, PathBuf};

pub fn run(paths: &[PathBuf], check: bool) -> u8 {
    let here = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &here[..] } else { paths };
    let mut broken = false;
    let mut changed = false;
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            if std::io::stdin().read_to_string(&mut text).is_err() {
                render::error("cannot read standard input: not UTF-8 text");
                return EXIT_COMPILE;
            }
            // As for a file: a byte-order mark is skipped (and not written back).
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
            match format(&text, "<stdin>") {
                Some(out) => {
                    changed |= out != text;
                    if !check {
                        print!("{out}");
                    }
                }
                None => broken = true,
            }
            continue;
        }
        let files = if path.is_dir() {
            crate::files::stark_files(path)
        } else if path.is_file() {
            vec![path.clone()]
        } else {
            render::error(&format!(
                "cannot read `{}`: no such file or folder",
                path.display()
            ));
            broken = true;
            continue;
        };
        for file in files {
            match one(&file, check) {
                Ok(c) => changed |= c,
                Err(()) => broken = true,
            }
        }
    }
    if broken {
        EXIT_COMPILE
    } else if check && changed {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    }
}

/// Formats one file; `Ok(true)` when it changed (or would, with `check`).
fn one(file: &Path, check: bool) -> Result<bool, ()> {
    let name = file.display().to_string();
    let text = read_text(file, &name).map_err(|_| ())?;
    let out = format(&text, &name).ok_or(())?;
    if out == text {
        return Ok(false);
    }
    if check {
        print!("would reformat {name}\n");
    } else if let Err(e) = std::fs::write(file, &out) {
        render::error(&format!(
            "cannot write `{name}`: {}",
            crate::driver::io_reason(&e)
        ));
        return Err(());
    }
    Ok(true)
}

/// The formatted text, or `None` with the reason reported.
fn format(text: &str, name: &str) -> Option<String> {
    match format_source(text) {
        Ok(out) => Some(out),
        Err(FormatError::Syntax(diags)) => {
            let file = SourceFile {
                name: name.to_string(),
                text: text.to_string(),
            };
            render::diagnostics(&[file], &diags);
            None
        }
        Err(FormatError::Internal(why)) => {
            render::error(&format!(
                "cannot format `{name}`: {why} (a bug in stark fmt; the file is left as it is)"
            ));
            None
        }
    }
}
