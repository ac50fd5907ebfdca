//! The VS Code extension's grammar (`editors/vscode/syntaxes/stark.tmLanguage.json`) knows
//! exactly the language's keywords: every reserved word and soft keyword of
//! `stark_syntax::token` is highlighted by some rule, and every word a keyword rule names
//! is one of them (a word added to the lexer, or dropped from it, fails here until the
//! grammar follows). Where `npm install` has been run in `editors/vscode`, the grammar's
//! own tests (`vscode-tmgrammar-test` on `editors/vscode/test/*.stark`) run too.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn extension_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../editors/vscode"))
}

/// The words of every `\b(a|b|c)\b` (or `\bword\b`) pattern in the grammar.
fn grammar_words(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "match" {
                    if let Some(p) = x.as_str() {
                        words_of_pattern(p, out);
                    }
                }
                grammar_words(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| grammar_words(x, out)),
        _ => {}
    }
}

fn words_of_pattern(p: &str, out: &mut BTreeSet<String>) {
    // Alternatives of lowercase (or `None`) words between word boundaries or a group.
    let mut rest = p;
    while let Some(i) = rest.find("\\b(") {
        let inner = &rest[i + 3..];
        let Some(end) = inner.find(")\\b") else {
            break;
        };
        for w in inner[..end].split('|') {
            if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()) {
                out.insert(w.to_string());
            }
        }
        rest = &inner[end..];
    }
    if let Some(w) = p.strip_prefix("\\b").and_then(|w| w.strip_suffix("\\b")) {
        if w.chars().all(|c| c.is_ascii_alphabetic()) {
            out.insert(w.to_string());
        }
    }
    // `(fn)\s+…`, `(struct|enum)\s+…`, `(mutable)\b`: capture groups of plain words.
    for group in p.split('(').skip(1) {
        let Some(end) = group.find(')') else { continue };
        let body = group[..end].trim_start_matches("?:\\s*");
        for w in body.split('|') {
            if !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()) {
                out.insert(w.to_string());
            }
        }
    }
}

#[test]
fn the_grammar_highlights_exactly_the_keywords() {
    let path = extension_dir().join("syntaxes/stark.tmLanguage.json");
    let text = std::fs::read_to_string(&path).expect("the grammar");
    let grammar: serde_json::Value = serde_json::from_str(&text).expect("the grammar is JSON");
    assert_eq!(grammar["scopeName"], "source.stark");
    let mut found = BTreeSet::new();
    grammar_words(&grammar, &mut found);
    let language: BTreeSet<String> = stark_syntax::token::KEYWORDS
        .iter()
        .chain(stark_syntax::token::SOFT_KEYWORDS)
        .map(|w| w.to_string())
        .collect();
    let missing: Vec<_> = language.difference(&found).collect();
    let extra: Vec<_> = found.difference(&language).collect();
    assert!(
        missing.is_empty(),
        "keywords the grammar does not highlight: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "words the grammar highlights as keywords: {extra:?}"
    );
}

#[test]
fn the_extension_declares_the_grammar_and_the_server() {
    let text = std::fs::read_to_string(extension_dir().join("package.json")).expect("package");
    let package: serde_json::Value = serde_json::from_str(&text).expect("package.json is JSON");
    let contributes = &package["contributes"];
    assert_eq!(contributes["languages"][0]["extensions"][0], ".stark");
    assert_eq!(contributes["grammars"][0]["scopeName"], "source.stark");
    let config = extension_dir().join(
        contributes["languages"][0]["configuration"]
            .as_str()
            .expect("a language configuration"),
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(config).expect("configuration"))
            .expect("the configuration is JSON");
    assert_eq!(config["comments"]["lineComment"], "//");
    let client = std::fs::read_to_string(extension_dir().join("extension.js")).expect("client");
    assert!(
        client.contains("args: [\"lsp\"]"),
        "the client starts `stark lsp`"
    );
}

#[test]
fn the_grammar_tests_pass_where_node_modules_are_installed() {
    let dir = extension_dir();
    let runner = dir.join("node_modules/.bin/vscode-tmgrammar-test");
    if !runner.exists() {
        eprintln!("skipped: run `npm install` in editors/vscode to run the grammar's tests");
        return;
    }
    let out = Command::new(runner)
        .current_dir(dir)
        .args(["-g", "syntaxes/stark.tmLanguage.json", "test/syntax.stark"])
        .output()
        .expect("vscode-tmgrammar-test runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
