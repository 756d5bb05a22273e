// Parses an AsyncAPI document with the official parser; exit 1 on any error or warning.
import { Parser, fromFile } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "info", "hint"];
const path = process.argv[2];
const { diagnostics } = await fromFile(new Parser(), path).parse();
const serious = diagnostics.filter((d) => d.severity <= 1);
for (const d of serious) {
  console.error(`${path}: ${SEVERITY[d.severity]} ${d.code} at ${d.path.join(".")}: ${d.message}`);
}
const count = (level) => diagnostics.filter((d) => d.severity === level).length;
console.log(`${path}: ${count(0)} errors, ${count(1)} warnings (AsyncAPI parser)`);
process.exit(serious.length ? 1 : 0);
