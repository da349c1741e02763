// Drive pochta serve's release route with the npm package mailpit-api (a published Mailpit client).
// Usage: node mailpit_release.mjs <path of mailpit-api/dist/index.mjs> <API base URL> <message ID>
// Prints one JSON object: the answer (or the error) of each client call, in order.
import { pathToFileURL } from "node:url";

const [modulePath, baseURL, id] = process.argv.slice(2);
const { MailpitClient } = await import(pathToFileURL(modulePath).href);
const mailpit = new MailpitClient(baseURL);
const results = {};

async function record(name, call) {
  try {
    results[name] = { ok: await call() };
  } catch (error) {
    results[name] = { error: String(error.message) };
  }
}

await record("getConfiguration", () => mailpit.getConfiguration());
await record("releaseMessage", () => mailpit.releaseMessage(id, { To: ["bob@example.org"] }));
await record("releaseMessageLatest", () =>
  mailpit.releaseMessage("latest", { To: ["carol@example.org"] }));
await record("releaseMessageOutsideAllowlist", () =>
  mailpit.releaseMessage(id, { To: ["eve@evil.test"] }));
await record("releaseMessageUnknown", () =>
  mailpit.releaseMessage("NoSuchMessage", { To: ["bob@example.org"] }));

process.stdout.write(JSON.stringify(results));
