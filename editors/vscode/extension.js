// The STARK extension: the grammar and language configuration are declared in
// package.json; this file starts the language server, `stark lsp`, for .stark files. It
// speaks LSP over stdio: diagnostics, hover, go to definition, completion, rename, document
// symbols and formatting all come from the server.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("stark").get("path") || "stark";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "stark",
    "STARK language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "stark" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `STARK: could not start \`${command} lsp\` (${err.message}). ` +
        "Set `stark.path` to the stark binary."
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
