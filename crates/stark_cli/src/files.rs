//! The `.stark` files under a folder, for the commands that take folders (`test`, `fmt`).

use std::path::{Path, PathBuf};

/// Every `*.stark` file under `dir`, sorted; hidden folders and `target/` are skipped.
pub fn stark_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&path, out);
            }
        } else if name.ends_with(".stark") {
            out.push(path);
        }
    }
}
