// Reads an email's HTML on stdin; prints caniemail's findings as one JSON array of
// {"type": "error"|"warning", "client": "...", "feature": "<title>"}, every client checked.
// A client whose data lacks a feature the email uses makes caniemail 1.0.5 throw
// (e.g. overflow-wrap on thunderbird.macos): that client is reported as
// {"type": "unchecked", "client": "...", "feature": "<the error>"} and the rest go on.
import { caniemail } from "caniemail";

const CLIENTS = [
  "apple-mail.macos", "apple-mail.ios", "gmail.desktop-webmail", "gmail.ios", "gmail.android",
  "gmail.mobile-webmail", "orange.desktop-webmail", "orange.ios", "orange.android",
  "outlook.windows", "outlook.windows-mail", "outlook.macos", "outlook.ios", "outlook.android",
  "yahoo.desktop-webmail", "yahoo.ios", "yahoo.android", "aol.desktop-webmail", "aol.ios",
  "aol.android", "samsung-email.android", "sfr.desktop-webmail", "sfr.ios", "sfr.android",
  "thunderbird.macos", "protonmail.desktop-webmail", "protonmail.ios", "protonmail.android",
  "hey.desktop-webmail", "mail-ru.desktop-webmail", "fastmail.desktop-webmail",
  "laposte.desktop-webmail",
];

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const html = Buffer.concat(chunks).toString("utf8");
const out = [];
for (const client of CLIENTS) {
  let result;
  try {
    result = caniemail({ clients: [client], html });
  } catch (error) {
    out.push({ type: "unchecked", client, feature: String(error.message) });
    continue;
  }
  for (const [type, byClient] of [["error", result.issues.errors], ["warning", result.issues.warnings]]) {
    for (const [name, issues] of byClient) {
      for (const issue of issues) out.push({ type, client: name, feature: issue.title });
    }
  }
}
process.stdout.write(JSON.stringify(out));
