// Validates an AsyncAPI document with the official parser (@asyncapi/parser):
// node tools/validate-asyncapi.mjs ../docs/asyncapi.yaml
// Prints each diagnostic (errors and warnings) and exits 1 when there is an error.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), { source: path });
const severity = { [DiagnosticSeverity.Error]: "error", [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info", [DiagnosticSeverity.Hint]: "hint" };
for (const d of diagnostics) {
  console.log(`${severity[d.severity]} ${d.code} at ${d.path.join(".") || "(root)"}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
console.log(document && errors.length === 0 ? `${path}: valid AsyncAPI ${document.version()}` : `${path}: ${errors.length} error(s)`);
process.exit(document && errors.length === 0 ? 0 : 1);
