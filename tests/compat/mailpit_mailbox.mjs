// Drive several of pochta's mailboxes with the npm package mailpit-api: one client per
// base URL (the root, /mailbox/NAME), as a Mailpit user would point one at each.
// Usage: node mailpit_mailbox.mjs <path of mailpit-api/dist/index.mjs> <base URL>... --delete <base URL>
// Prints one JSON object: for each base URL, what its client saw.
import { pathToFileURL } from "node:url";

const [modulePath, ...rest] = process.argv.slice(2);
const { MailpitClient } = await import(pathToFileURL(modulePath).href);
const cut = rest.indexOf("--delete");
const bases = rest.slice(0, cut);
const toDelete = rest[cut + 1];
const results = {};

async function see(baseURL) {
  const mailpit = new MailpitClient(baseURL);
  const listed = await mailpit.listMessages();
  const found = await mailpit.searchMessages({ query: "subject:for" });
  const latest = listed.total ? await mailpit.getMessageSummary() : null;
  const info = await mailpit.getInfo();
  return {
    subjects: listed.messages.map((m) => m.Subject),
    total: listed.total,
    found: found.messages.map((m) => m.Subject),
    latest: latest && latest.Subject,
    infoMessages: info.Messages,
  };
}

for (const base of bases) {
  try {
    results[base] = await see(base);
  } catch (error) {
    results[base] = { error: String(error.message) };
  }
}
await new MailpitClient(toDelete).deleteMessages();
results.afterDelete = {};
for (const base of bases) {
  const listed = await new MailpitClient(base).listMessages();
  results.afterDelete[base] = listed.messages.map((m) => m.Subject);
}
console.log(JSON.stringify(results));
