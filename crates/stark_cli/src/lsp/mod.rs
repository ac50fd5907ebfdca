//! `stark lsp` (SPEC §10): a Language Server Protocol server on stdin/stdout, on
//! rust-analyzer's `lsp-server` and `lsp-types`, built on the same front end as `stark
//! check` (`driver::front_end`, with the editor's unsaved texts first).
//!
//! What it answers today: diagnostics on open and change (every error and warning of the
//! program the file is the entry of, each published in its own file), formatting (as
//! `stark fmt`), document symbols (items, their fields, variants and methods) and go to
//! definition of a top-level item, a method or a field by name, across modules, and hover
//! (a binding's type and how it holds its value at that point: owned, mutable, borrowed,
//! a loop variable, stack-allocated, in arena NAME, moved at line N — `ownership.rs`; a
//! declaration's first line), and completion (after `x.`: the fields and
//! methods of `x`'s type, a module's public names, a namespace's functions; elsewhere the
//! bindings in scope, items, built-ins and keywords), and rename (a binding within its
//! function; a top-level item across modules, refused where a name-based rename could
//! change something else). A change re-checks only the function bodies it changed (and
//! those they name), the others' diagnostics kept from the last check (`incremental.rs`);
//! hover checks the function under the cursor and those it reaches, completion that
//! function alone.

mod incremental;
mod ownership;

use crate::driver::{front_end, front_end_some, Mode, Source};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Rename,
    Request as _,
};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionResponse,
    Diagnostic as LspDiagnostic, DiagnosticSeverity, DocumentSymbol, DocumentSymbolResponse,
    GotoDefinitionResponse, Hover, HoverContents, HoverProviderCapability, Location, MarkupContent,
    MarkupKind, NumberOrString, OneOf, Position, PublishDiagnosticsParams, Range,
    ServerCapabilities, SymbolKind, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit,
    Uri, WorkspaceEdit,
};
use stark_syntax::ast::{FnDecl, Ident, Item, Program};
use stark_syntax::{Diagnostic, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const CHECK: Mode = Mode {
    optimise: false,
    need_main: false,
};

pub fn run() -> u8 {
    let (connection, io) = Connection::stdio();
    let caps = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        definition_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        rename_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let Ok(caps) = serde_json::to_value(caps) else {
        return 1;
    };
    if connection.initialize(caps).is_err() {
        return 1;
    }
    let mut server = Server {
        docs: HashMap::new(),
        published: HashMap::new(),
        kept: HashMap::new(),
    };
    let code = server.serve(&connection);
    drop(connection);
    let _ = io.join();
    code
}

struct Server {
    /// Open documents: their unsaved text, by path.
    docs: HashMap<PathBuf, String>,
    /// Files diagnostics were published for, per entry document (to clear them later).
    published: HashMap<PathBuf, Vec<PathBuf>>,
    /// What the last check of each entry document left for the next (`incremental`).
    kept: HashMap<PathBuf, incremental::Kept>,
}

impl Server {
    fn serve(&mut self, connection: &Connection) -> u8 {
        for message in &connection.receiver {
            match message {
                Message::Request(req) => {
                    if connection.handle_shutdown(&req).unwrap_or(true) {
                        return 0;
                    }
                    let response = self.request(req);
                    if connection.sender.send(Message::Response(response)).is_err() {
                        return 1;
                    }
                }
                Message::Notification(n) => {
                    for out in self.notification(n) {
                        if connection.sender.send(Message::Notification(out)).is_err() {
                            return 1;
                        }
                    }
                }
                Message::Response(_) => {}
            }
        }
        0
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            Formatting::METHOD => params::<lsp_types::DocumentFormattingParams>(&req)
                .map(|p| serde_json::to_value(self.format(&p.text_document.uri))),
            DocumentSymbolRequest::METHOD => params::<lsp_types::DocumentSymbolParams>(&req)
                .map(|p| serde_json::to_value(self.symbols(&p.text_document.uri))),
            GotoDefinition::METHOD => params::<lsp_types::GotoDefinitionParams>(&req).map(|p| {
                let at = p.text_document_position_params;
                serde_json::to_value(self.definition(&at.text_document.uri, at.position))
            }),
            Rename::METHOD => {
                let Some(p) = params::<lsp_types::RenameParams>(&req) else {
                    return Response::new_err(
                        id,
                        lsp_server::ErrorCode::InvalidParams as i32,
                        "invalid parameters".into(),
                    );
                };
                let at = p.text_document_position;
                return match self.rename(&at.text_document.uri, at.position, &p.new_name) {
                    Ok(edit) => Response::new_ok(id, edit),
                    Err(why) => {
                        Response::new_err(id, lsp_server::ErrorCode::RequestFailed as i32, why)
                    }
                };
            }
            Completion::METHOD => params::<lsp_types::CompletionParams>(&req).map(|p| {
                let at = p.text_document_position;
                serde_json::to_value(self.complete(&at.text_document.uri, at.position))
            }),
            HoverRequest::METHOD => params::<lsp_types::HoverParams>(&req).map(|p| {
                let at = p.text_document_position_params;
                serde_json::to_value(self.hover(&at.text_document.uri, at.position))
            }),
            _ => {
                return Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("stark lsp does not answer {}", req.method),
                )
            }
        };
        match result {
            Some(Ok(value)) => Response::new_ok(id, value),
            _ => Response::new_err(
                id,
                lsp_server::ErrorCode::InvalidParams as i32,
                "invalid parameters".into(),
            ),
        }
    }

    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Vec::new();
                };
                self.docs.insert(path, p.text_document.text);
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = path_of(&p.text_document.uri) else {
                    return Vec::new();
                };
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.docs.insert(path, change.text);
                }
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.docs.remove(&path);
                    }
                }
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        self.diagnostics(&uri)
    }

    /// Checks the program `uri` is the entry of; one `publishDiagnostics` a file it
    /// touches (an empty one for a file whose diagnostics are gone).
    fn diagnostics(&mut self, uri: &Uri) -> Vec<Notification> {
        let Some(path) = path_of(uri) else {
            return Vec::new();
        };
        let docs = &self.docs;
        let overlay = |p: &Path| docs.get(p).cloned();
        let display = path.display().to_string();
        let Some(text) = docs
            .get(&path)
            .cloned()
            .or_else(|| std::fs::read_to_string(&path).ok())
        else {
            return Vec::new();
        };
        let last = self.kept.remove(&path);
        let Some(checked) = incremental::check(
            &path,
            &display,
            CHECK,
            &Source::Overlay(&overlay),
            &text,
            last.as_ref(),
        ) else {
            return Vec::new();
        };
        let front = checked.front;
        self.kept.insert(path.clone(), checked.kept);
        // Editors show it in the server's output; the tests read it.
        let log = lsp_types::LogMessageParams {
            typ: lsp_types::MessageType::LOG,
            message: format!(
                "checked {} of {} functions of {display}",
                checked.checked, checked.functions
            ),
        };
        let mut by_file: Vec<(PathBuf, Vec<LspDiagnostic>)> = front
            .files
            .iter()
            .map(|f| (PathBuf::from(&f.name), Vec::new()))
            .collect();
        for d in &front.diags {
            let i = crate::render::file_of(&front.files, d.primary.span);
            by_file[i].1.push(lsp_diagnostic(&front.files[i].text, d));
        }
        let before = self.published.remove(&path).unwrap_or_default();
        let mut out = Vec::new();
        for stale in before
            .iter()
            .filter(|p| by_file.iter().all(|(q, _)| q != *p))
        {
            out.extend(publish(stale, Vec::new()));
        }
        self.published
            .insert(path, by_file.iter().map(|(p, _)| p.clone()).collect());
        for (file, diags) in by_file {
            out.extend(publish(&file, diags));
        }
        out.push(Notification::new(
            lsp_types::notification::LogMessage::METHOD.into(),
            log,
        ));
        out
    }

    fn text(&self, uri: &Uri) -> Option<(PathBuf, String)> {
        let path = path_of(uri)?;
        let text = match self.docs.get(&path) {
            Some(t) => t.clone(),
            None => std::fs::read_to_string(&path).ok()?,
        };
        Some((path, text))
    }

    fn format(&self, uri: &Uri) -> Option<Vec<TextEdit>> {
        let (_, text) = self.text(uri)?;
        let formatted = stark_syntax::fmt::format_source(&text).ok()?;
        if formatted == text {
            return Some(Vec::new());
        }
        let end = position(&text, text.len());
        Some(vec![TextEdit {
            range: Range::new(Position::new(0, 0), end),
            new_text: formatted,
        }])
    }

    fn symbols(&self, uri: &Uri) -> Option<DocumentSymbolResponse> {
        let (_, text) = self.text(uri)?;
        let (program, _) = stark_syntax::parse(&text);
        Some(DocumentSymbolResponse::Nested(
            program
                .items
                .iter()
                .map(|i| item_symbol(&text, i))
                .collect(),
        ))
    }

    /// The declaration of the name under the cursor: a top-level item (in the module a
    /// `module.name` path names, else anywhere in the program), else a method or field of
    /// that name.
    fn definition(&self, uri: &Uri, at: Position) -> Option<GotoDefinitionResponse> {
        let (path, text) = self.text(uri)?;
        let offset = offset(&text, at);
        let (name, qualifier) = word_at(&text, offset)?;
        let docs = &self.docs;
        let overlay = |p: &Path| docs.get(p).cloned();
        let display = path.display().to_string();
        let front = front_end(&path, &display, CHECK, &Source::Overlay(&overlay)).ok()?;
        let wanted_file = qualifier.and_then(|q| {
            front
                .program
                .modules
                .iter()
                .position(|m| m == &q || m.rsplit('.').next() == Some(q.as_str()))
        });
        let spans = declarations(&front.program, &name);
        let span = spans
            .iter()
            .find(|s| wanted_file.is_none_or(|f| s.file.0 as usize == f))
            .copied()?;
        let file = front.files.get(span.file.0 as usize)?;
        let range = Range::new(
            position(&file.text, span.start as usize),
            position(&file.text, span.end as usize),
        );
        Some(GotoDefinitionResponse::Scalar(Location::new(
            uri_of(Path::new(&file.name))?,
            range,
        )))
    }
}

impl Server {
    /// What the name under the cursor is: a binding's type and how it holds its value
    /// (owned, borrowed, mutable), or a declaration's signature.
    fn hover(&self, uri: &Uri, at: Position) -> Option<Hover> {
        let (path, text) = self.text(uri)?;
        let offset = offset(&text, at);
        let (name, _) = word_at(&text, offset)?;
        let docs = &self.docs;
        let overlay = |p: &Path| docs.get(p).cloned();
        let display = path.display().to_string();
        // Only the function around the cursor and those it reaches by name are checked.
        let keep = incremental::needed(&text, offset, true);
        let skip =
            |d: &FnDecl| d.span.file == stark_syntax::FileId(0) && !keep.contains(&d.span.start);
        let front =
            front_end_some(&path, &display, CHECK, &Source::Overlay(&overlay), &skip).ok()?;
        let shown = match &front.checked {
            Some(checked) => ownership::binding(&front.program, checked, &text, &name, offset),
            None => None,
        }
        .or_else(|| {
            let span = *declarations(&front.program, &name).first()?;
            let file = front.files.get(span.file.0 as usize)?;
            Some(signature(&file.text, span))
        })?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: shown,
            }),
            range: None,
        })
    }
}

impl Server {
    /// Names that fit at the cursor: after `x.`, the fields and methods of `x`'s type (a
    /// struct's, or a built-in type's from the registry), a module's top-level names or a
    /// namespace's functions (`Memory.`, `math.`); elsewhere the bindings in scope, the
    /// program's items, the built-in functions and namespaces, and the keywords.
    fn complete(&self, uri: &Uri, at: Position) -> Option<CompletionResponse> {
        let (path, text) = self.text(uri)?;
        let offset = offset(&text, at);
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let start = text[..offset]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(offset, |(i, _)| i);
        let prefix = &text[start..offset];
        let receiver = text[..start].strip_suffix('.').map(|before| {
            let r: String = before.chars().rev().take_while(|c| is_word(*c)).collect();
            r.chars().rev().collect::<String>()
        });
        // While `x.` is being typed the line does not parse: check the text without it.
        let patched = match &receiver {
            Some(_) => format!("{}{}", &text[..start - 1], &text[offset..]),
            None => text.clone(),
        };
        let docs = &self.docs;
        let overlay = |p: &Path| {
            if p == path {
                Some(patched.clone())
            } else {
                docs.get(p).cloned()
            }
        };
        let display = path.display().to_string();
        // Only the function around the cursor is checked (its bindings and their types).
        let keep = incremental::needed(&patched, start.saturating_sub(1), false);
        let skip =
            |d: &FnDecl| d.span.file == stark_syntax::FileId(0) && !keep.contains(&d.span.start);
        let front =
            front_end_some(&path, &display, CHECK, &Source::Overlay(&overlay), &skip).ok()?;
        let mut items: Vec<Candidate> = Vec::new();
        match receiver {
            Some(r) => members(&front, &r, start - 1, &mut items),
            None => names_in_scope(&front, start, &mut items),
        }
        items.retain(|(label, _, _)| label.starts_with(prefix));
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items.dedup_by(|a, b| a.0 == b.0);
        Some(CompletionResponse::Array(
            items
                .into_iter()
                .map(|(label, kind, detail)| CompletionItem {
                    label,
                    kind: Some(kind),
                    detail: (!detail.is_empty()).then_some(detail),
                    ..Default::default()
                })
                .collect(),
        ))
    }
}

impl Server {
    /// Renames the binding or top-level item under the cursor: a binding within its
    /// function (from its declaration on), an item everywhere in the program (its uses,
    /// and `module.name` where its module is named). Refused, rather than done wrongly,
    /// for a member (a field or method) and for an item that a binding of the same name
    /// could shadow somewhere.
    // `WorkspaceEdit` is keyed by `Uri`, whose lazily parsed parts clippy takes for
    // interior mutability; a URI never changes once parsed.
    #[allow(clippy::mutable_key_type)]
    fn rename(&self, uri: &Uri, at: Position, new_name: &str) -> Result<WorkspaceEdit, String> {
        let valid = new_name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && new_name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !KEYWORDS.contains(&new_name)
            && !lexer_keyword(new_name);
        if !valid {
            return Err(format!("`{new_name}` is not a name"));
        }
        let (path, text) = self.text(uri).ok_or("no such document")?;
        let offset = offset(&text, at);
        let (name, qualifier) = word_at(&text, offset).ok_or("no name here")?;
        let docs = &self.docs;
        let overlay = |p: &Path| docs.get(p).cloned();
        let display = path.display().to_string();
        let front = front_end(&path, &display, CHECK, &Source::Overlay(&overlay))
            .map_err(|_| "the file cannot be read".to_string())?;
        let checked = front
            .checked
            .as_ref()
            .ok_or("the program does not compile")?;
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        let local = qualifier
            .is_none()
            .then(|| visible_local(&front.program, checked, &name, offset))
            .flatten();
        if let Some(local) = local {
            // From the declaration to the next function's start.
            let from = local.span.start as usize;
            let to = function_end(&front.program, from).unwrap_or(text.len());
            let file = &front.files[0];
            let edits = occurrences(&file.text, &name, |_| false)
                .into_iter()
                .filter(|&(s, _)| s >= from && s < to)
                .map(|(s, e)| TextEdit {
                    range: Range::new(position(&file.text, s), position(&file.text, e)),
                    new_text: new_name.to_string(),
                })
                .collect();
            changes.insert(uri.clone(), edits);
            return Ok(WorkspaceEdit::new(changes));
        }
        let item = front
            .program
            .items
            .iter()
            .map(item_name)
            .find(|(n, _)| n.name == name)
            .ok_or("only a binding or a top-level item can be renamed")?;
        if declarations(&front.program, &name).len() > 1 {
            return Err(format!(
                "a field, method or variant is also named `{name}`: renaming by name could change it too"
            ));
        }
        if checked
            .locals
            .iter()
            .any(|l| l.name == name || l.name == new_name)
        {
            return Err(format!(
                "a binding named `{name}` or `{new_name}` exists: renaming by name could change what it means"
            ));
        }
        let module = front
            .program
            .modules
            .get(item.0.span.file.0 as usize)
            .cloned()
            .unwrap_or_default();
        let home = item.0.span.file.0 as usize;
        for (i, file) in front.files.iter().enumerate() {
            let is_module = |q: &str| {
                !module.is_empty() && (q == module || module.rsplit('.').next() == Some(q))
            };
            // Elsewhere than in its own file the item is named through its module, or
            // brought in by `from module import name`.
            let imported = i == home
                || file.text.lines().any(|l| {
                    l.trim_start().starts_with(&format!("from {module} import"))
                        && l.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .any(|w| w == name)
                });
            let edits: Vec<TextEdit> = occurrences(&file.text, &name, is_module)
                .into_iter()
                .filter(|&(s, _)| imported || file.text[..s].ends_with('.'))
                .map(|(s, e)| TextEdit {
                    range: Range::new(position(&file.text, s), position(&file.text, e)),
                    new_text: new_name.to_string(),
                })
                .collect();
            if !edits.is_empty() {
                let uri = uri_of(Path::new(&file.name)).ok_or("a file has no URI")?;
                changes.insert(uri, edits);
            }
        }
        Ok(WorkspaceEdit::new(changes))
    }
}

/// Whether `word` is a keyword the lexer reserves (`fn`, `let`, …).
fn lexer_keyword(word: &str) -> bool {
    let (tokens, _) = stark_syntax::lexer::lex(word);
    !matches!(
        tokens.first().map(|t| &t.kind),
        Some(stark_syntax::token::TokenKind::Ident(_))
    )
}

/// The byte ranges of the name `name` in `text`, as a token: not after a `.`, unless the
/// name before the dot is one `qualified` accepts (`geometry.area`).
fn occurrences(text: &str, name: &str, qualified: impl Fn(&str) -> bool) -> Vec<(usize, usize)> {
    use stark_syntax::token::TokenKind as K;
    let (tokens, _) = stark_syntax::lexer::lex(text);
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !matches!(&t.kind, K::Ident(n) if n == name) {
            continue;
        }
        let after_dot = i > 0 && matches!(tokens[i - 1].kind, K::Dot);
        if after_dot {
            let ok = i > 1 && matches!(&tokens[i - 2].kind, K::Ident(q) if qualified(q));
            if !ok {
                continue;
            }
        }
        out.push((t.span.start as usize, t.span.end as usize));
    }
    out
}

/// Where the function that contains `offset` of the entry file ends: where the next one
/// starts.
fn function_end(program: &Program, offset: usize) -> Option<usize> {
    let entry = stark_syntax::FileId(0);
    let mut starts: Vec<usize> = Vec::new();
    for item in &program.items {
        let (span, methods): (Span, &[FnDecl]) = match item {
            Item::Fn(f) => (f.span, std::slice::from_ref(f)),
            Item::Struct(s) => (s.span, &s.methods),
            Item::Enum(e) => (e.span, &e.methods),
            Item::Const(c) => (c.span, &[]),
        };
        if span.file == entry {
            starts.push(span.start as usize);
        }
        starts.extend(
            methods
                .iter()
                .filter(|m| m.span.file == entry)
                .map(|m| m.span.start as usize),
        );
    }
    starts.into_iter().filter(|&s| s > offset).min()
}

/// A completion: its label, its kind and a detail (a type).
type Candidate = (String, CompletionItemKind, String);

/// The registry's built-in type for a checked type, for its methods.
fn receiver_of(ty: &stark_check::Ty) -> Option<stark_syntax::Recv> {
    use stark_check::Ty;
    use stark_syntax::Recv;
    Some(match ty {
        Ty::Str => Recv::Str,
        Ty::List(_) => Recv::List,
        Ty::Map(..) => Recv::Map,
        Ty::Weak(_) => Recv::Weak,
        Ty::Tensor => Recv::Tensor,
        Ty::Dataset => Recv::Dataset,
        Ty::Column => Recv::Column,
        Ty::GroupBy => Recv::GroupBy,
        Ty::Stream => Recv::Stream,
        Ty::Task(_) => Recv::Task,
        Ty::Optional(inner) => return receiver_of(inner),
        _ => return None,
    })
}

/// Built-in methods (or namespace functions) of `recv` whose names are words.
fn rows_of(recv: stark_syntax::Recv, out: &mut Vec<Candidate>) {
    for b in stark_syntax::Builtin::ROWS
        .iter()
        .filter(|b| b.receiver() == recv)
    {
        let name = b.name();
        if name.chars().next().is_some_and(char::is_alphabetic) {
            out.push((name.to_string(), CompletionItemKind::METHOD, String::new()));
        }
    }
}

/// An item's name and kind.
fn item_name(item: &Item) -> (&stark_syntax::ast::Ident, CompletionItemKind) {
    match item {
        Item::Fn(f) => (&f.name, CompletionItemKind::FUNCTION),
        Item::Struct(s) => (&s.name, CompletionItemKind::STRUCT),
        Item::Enum(e) => (&e.name, CompletionItemKind::ENUM),
        Item::Const(c) => (&c.name, CompletionItemKind::CONSTANT),
    }
}

/// What may follow `receiver.` (the dot at `dot`).
fn members(front: &crate::driver::FrontEnd, receiver: &str, dot: usize, out: &mut Vec<Candidate>) {
    use stark_check::Ty;
    use stark_syntax::{Builtin, Recv};
    // A namespace: `Memory.`, `math.`, `Tensor.`.
    if let Some(ns) = Builtin::ROWS
        .iter()
        .map(|b| b.receiver())
        .find(|r| r.namespace() == Some(receiver))
    {
        rows_of(ns, out);
        if receiver == "math" {
            for (name, _) in stark_syntax::MATH_CONSTANTS {
                out.push((
                    name.to_string(),
                    CompletionItemKind::CONSTANT,
                    String::new(),
                ));
            }
        }
        return;
    }
    // A module: its public top-level names.
    let module =
        front.program.modules.iter().position(|m| {
            !m.is_empty() && (m == receiver || m.rsplit('.').next() == Some(receiver))
        });
    if let Some(file) = module {
        for (name, kind) in front.program.items.iter().map(item_name) {
            if name.span.file.0 as usize == file && !name.name.starts_with('_') {
                out.push((name.name.clone(), kind, String::new()));
            }
        }
        return;
    }
    // A binding: its type's fields and methods.
    let Some(checked) = &front.checked else {
        return;
    };
    let Some(local) = visible_local(&front.program, checked, receiver, dot) else {
        return;
    };
    let ty = match &local.ty {
        Ty::Optional(inner) => inner.as_ref(),
        other => other,
    };
    if let Ty::Struct(id, _) = ty {
        if let Some(def) = checked.structs.get(*id as usize) {
            for f in &def.fields {
                let shown = checked.display(&f.ty).to_string();
                out.push((f.name.clone(), CompletionItemKind::FIELD, shown));
            }
            for (m, _) in &def.methods {
                out.push((m.clone(), CompletionItemKind::METHOD, String::new()));
            }
        }
    }
    if let Some(recv) = receiver_of(ty) {
        rows_of(recv, out);
        if recv == Recv::List {
            for (name, _) in stark_check::ListFn::METHODS {
                out.push((name.to_string(), CompletionItemKind::METHOD, String::new()));
            }
        }
    }
    if !matches!(ty, Ty::Int | Ty::Float | Ty::Bool) {
        rows_of(Recv::Heap, out);
    }
}

const KEYWORDS: &[&str] = &[
    "let", "mutable", "fn", "struct", "enum", "const", "return", "if", "elif", "else", "while",
    "for", "in", "break", "continue", "match", "case", "import", "from", "arena", "spawn", "and",
    "or", "not", "true", "false", "None", "pass",
];

/// The bindings visible at `offset`, the program's items and modules, the built-in
/// functions and namespaces, and the keywords.
fn names_in_scope(front: &crate::driver::FrontEnd, offset: usize, out: &mut Vec<Candidate>) {
    use stark_syntax::{Builtin, Recv};
    if let (Some(checked), Some(fn_start)) =
        (&front.checked, function_start(&front.program, offset))
    {
        for l in checked.locals.iter().filter(|l| {
            l.span.file == stark_syntax::FileId(0)
                && (l.span.start as usize) >= fn_start
                && (l.span.start as usize) < offset
        }) {
            let shown = checked.display(&l.ty).to_string();
            out.push((l.name.clone(), CompletionItemKind::VARIABLE, shown));
        }
    }
    for (name, kind) in front.program.items.iter().map(item_name) {
        if name.span.file == stark_syntax::FileId(0) {
            out.push((name.name.clone(), kind, String::new()));
        }
    }
    for m in front.program.modules.iter().filter(|m| !m.is_empty()) {
        out.push((m.clone(), CompletionItemKind::MODULE, String::new()));
    }
    for b in Builtin::ROWS {
        match b.receiver() {
            Recv::Free => out.push((
                b.name().to_string(),
                CompletionItemKind::FUNCTION,
                String::new(),
            )),
            r => {
                if let Some(ns) = r.namespace() {
                    out.push((ns.to_string(), CompletionItemKind::MODULE, String::new()));
                }
            }
        }
    }
    out.extend(
        KEYWORDS
            .iter()
            .map(|k| (k.to_string(), CompletionItemKind::KEYWORD, String::new())),
    );
}

/// Where the function (or method) around `offset` of the entry file starts.
fn function_start(program: &Program, offset: usize) -> Option<usize> {
    entry_functions(program)
        .map(|(_, f)| f.span.start as usize)
        .filter(|&s| s <= offset)
        .max()
}

/// The entry file's functions and methods, each with the name of the struct or enum it is
/// a method of (empty for a function), in the order of the items.
fn entry_functions(program: &Program) -> impl Iterator<Item = (&str, &FnDecl)> {
    program
        .items
        .iter()
        .flat_map(|item| {
            let (owner, fns): (&str, &[FnDecl]) = match item {
                Item::Fn(f) => ("", std::slice::from_ref(f)),
                Item::Struct(s) => (&s.name.name, &s.methods),
                Item::Enum(e) => (&e.name.name, &e.methods),
                Item::Const(_) => ("", &[]),
            };
            fns.iter().map(move |f| (owner, f))
        })
        .filter(|(_, f)| f.span.file == stark_syntax::FileId(0))
}

/// The binding `name` visible at `offset` of the entry file (`ownership::visible_local`).
fn visible_local<'c>(
    program: &Program,
    checked: &'c stark_check::Checked,
    name: &str,
    offset: usize,
) -> Option<&'c stark_check::LocalInfo> {
    ownership::visible_local(program, checked, name, offset).map(|id| checked.local(id))
}

/// A declaration's first line (a function's signature, `struct Point:`), as written.
fn signature(text: &str, span: Span) -> String {
    let start = text[..(span.start as usize).min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    format!("```stark\n{}\n```", text[start..end].trim())
}

fn params<T: serde::de::DeserializeOwned>(req: &Request) -> Option<T> {
    serde_json::from_value(req.params.clone()).ok()
}

fn publish(file: &Path, diagnostics: Vec<LspDiagnostic>) -> Option<Notification> {
    let params = PublishDiagnosticsParams {
        uri: uri_of(file)?,
        diagnostics,
        version: None,
    };
    Some(Notification::new(PublishDiagnostics::METHOD.into(), params))
}

fn lsp_diagnostic(text: &str, d: &Diagnostic) -> LspDiagnostic {
    let range = span_range(text, d.primary.span);
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push_str(&format!(": {}", d.primary.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    LspDiagnostic {
        range,
        severity: Some(if d.is_warning() {
            DiagnosticSeverity::WARNING
        } else {
            DiagnosticSeverity::ERROR
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("stark".into()),
        message,
        ..Default::default()
    }
}

fn span_range(text: &str, span: Span) -> Range {
    Range::new(
        position(text, span.start as usize),
        position(text, span.end.max(span.start) as usize),
    )
}

/// The LSP position (line, UTF-16 column: the protocol's default encoding) of a byte
/// offset.
fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    Position::new(line as u32, column as u32)
}

/// The byte offset of an LSP position (clamped to its line and to the text).
fn offset(text: &str, at: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..at.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let mut units = 0u32;
    for (i, c) in text[line_start..].char_indices() {
        if units >= at.character || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// The identifier around `offset`, and the name before a `.` in front of it.
fn word_at(text: &str, offset: usize) -> Option<(String, Option<String>)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    if start == end {
        return None;
    }
    let name = text[start..end].to_string();
    let qualifier = text[..start].strip_suffix('.').map(|before| {
        let q: String = before
            .chars()
            .rev()
            .take_while(|c| is_word(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        q
    });
    Some((name, qualifier.filter(|q| !q.is_empty())))
}

/// The name spans of every declaration called `name`: items first, then methods, enum
/// variants and fields.
fn declarations(program: &Program, name: &str) -> Vec<Span> {
    let mut items = Vec::new();
    let mut members = Vec::new();
    for item in &program.items {
        // The item's own name, then the names declared inside it (methods first).
        let (own, methods, inner): (&Ident, &[FnDecl], Vec<&Ident>) = match item {
            Item::Fn(f) => (&f.name, &[], Vec::new()),
            Item::Const(c) => (&c.name, &[], Vec::new()),
            Item::Struct(s) => (
                &s.name,
                &s.methods,
                s.fields.iter().map(|f| &f.name).collect(),
            ),
            Item::Enum(e) => (
                &e.name,
                &e.methods,
                e.variants.iter().map(|v| &v.name).collect(),
            ),
        };
        if own.name == name {
            items.push(own.span);
        }
        let inner = methods.iter().map(|f| &f.name).chain(inner);
        members.extend(inner.filter(|n| n.name == name).map(|n| n.span));
    }
    items.extend(members);
    items
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be written.
fn symbol(
    text: &str,
    name: &str,
    kind: SymbolKind,
    span: Span,
    name_span: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    // The protocol wants the name inside the whole range.
    let whole = Span {
        start: span.start.min(name_span.start),
        end: span.end.max(name_span.end),
        file: span.file,
    };
    DocumentSymbol {
        name: name.to_string(),
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range: span_range(text, whole),
        selection_range: span_range(text, name_span),
        children: (!children.is_empty()).then_some(children),
    }
}

fn fn_symbol(text: &str, f: &FnDecl, kind: SymbolKind) -> DocumentSymbol {
    symbol(text, &f.name.name, kind, f.span, f.name.span, Vec::new())
}

fn item_symbol(text: &str, item: &Item) -> DocumentSymbol {
    match item {
        Item::Fn(f) => fn_symbol(text, f, SymbolKind::FUNCTION),
        Item::Const(c) => symbol(
            text,
            &c.name.name,
            SymbolKind::CONSTANT,
            c.span,
            c.name.span,
            Vec::new(),
        ),
        Item::Struct(s) => {
            let mut children: Vec<DocumentSymbol> = s
                .fields
                .iter()
                .map(|f| {
                    symbol(
                        text,
                        &f.name.name,
                        SymbolKind::FIELD,
                        f.name.span,
                        f.name.span,
                        Vec::new(),
                    )
                })
                .collect();
            children.extend(
                s.methods
                    .iter()
                    .map(|m| fn_symbol(text, m, SymbolKind::METHOD)),
            );
            symbol(
                text,
                &s.name.name,
                SymbolKind::STRUCT,
                s.span,
                s.name.span,
                children,
            )
        }
        Item::Enum(e) => {
            let mut children: Vec<DocumentSymbol> = e
                .variants
                .iter()
                .map(|v| {
                    symbol(
                        text,
                        &v.name.name,
                        SymbolKind::ENUM_MEMBER,
                        v.span,
                        v.name.span,
                        Vec::new(),
                    )
                })
                .collect();
            children.extend(
                e.methods
                    .iter()
                    .map(|m| fn_symbol(text, m, SymbolKind::METHOD)),
            );
            symbol(
                text,
                &e.name.name,
                SymbolKind::ENUM,
                e.span,
                e.name.span,
                children,
            )
        }
    }
}

/// The file path of a `file://` URI (percent-decoded), or `None` for another scheme.
fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// A `file://` URI for `path` (made absolute), percent-encoding what a URI cannot hold.
fn uri_of(path: &Path) -> Option<Uri> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut s = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}
