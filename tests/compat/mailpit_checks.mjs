// Drive pochta serve's checks and login with the npm package mailpit-api (a published Mailpit client).
// Usage: node mailpit_checks.mjs <mailpit-api/dist/index.mjs> <API base URL> <user> <password>
// Prints one JSON object: the answer (or the error) of each client call, in order.
import { pathToFileURL } from "node:url";

const [modulePath, baseURL, username, password] = process.argv.slice(2);
const { MailpitClient } = await import(pathToFileURL(modulePath).href);
const mailpit = new MailpitClient(baseURL, { auth: { username, password } });
const stranger = new MailpitClient(baseURL);
const results = {};

async function record(name, call) {
  try {
    results[name] = { ok: await call() };
  } catch (error) {
    results[name] = { error: String(error.message) };
  }
}

await record("getInfo", () => mailpit.getInfo());
await record("linkCheck", () => mailpit.linkCheck());
await record("linkCheckFollow", () => mailpit.linkCheck("latest", true));
await record("htmlCheck", () => mailpit.htmlCheck());
await record("spamAssassinCheck", () => mailpit.spamAssassinCheck());
await record("getAttachmentThumbnail", async () => {
  const summary = await mailpit.getMessageSummary();
  const blob = await mailpit.getAttachmentThumbnail(summary.ID, summary.Attachments[0].PartID);
  return { type: blob.type, size: blob.size };
});
await record("strangerListMessages", () => stranger.listMessages());

process.stdout.write(JSON.stringify(results));
