// Reads an email's HTML on stdin; prints caniemail's findings as JSON lines:
// {"type": "error"|"warning", "client": "...", "feature": "<title>"} (all clients).
import { caniemail } from "caniemail";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const html = Buffer.concat(chunks).toString("utf8");
const result = caniemail({ clients: ["*"], html });
const out = [];
for (const [type, byClient] of [["error", result.issues.errors], ["warning", result.issues.warnings]]) {
  for (const [client, issues] of byClient) {
    for (const issue of issues) {
      out.push({ type, client, feature: issue.title });
    }
  }
}
process.stdout.write(JSON.stringify(out));
