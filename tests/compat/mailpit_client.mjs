// Drive pochta serve with the npm package mailpit-api, a published Mailpit client.
// Usage: node mailpit_client.mjs <path of mailpit-api/dist/index.mjs> <API base URL>
// Prints one JSON object: the answer (or the error) of each client call, in order.
import { pathToFileURL } from "node:url";

const [modulePath, baseURL] = process.argv.slice(2);
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

async function blob(promise) {
  const data = await promise;
  return { type: data.type, bytes: Buffer.from(await data.arrayBuffer()).toString("base64") };
}

await record("listMessages", () => mailpit.listMessages());
const listed = results.listMessages.ok?.messages ?? [];
const report = listed.find((m) => m.Attachments > 0);
const welcome = listed.find((m) => m.Attachments === 0);
await record("getMessageSummary", () => mailpit.getMessageSummary(report.ID));
await record("getMessageSummaryLatest", () => mailpit.getMessageSummary());
await record("getMessageHeaders", () => mailpit.getMessageHeaders(report.ID));
await record("getMessageSource", () => mailpit.getMessageSource(report.ID));
const partID = results.getMessageSummary.ok?.Attachments?.[0]?.PartID;
await record("getMessageAttachment", () => blob(mailpit.getMessageAttachment(report.ID, partID)));
await record("setReadStatus", () => mailpit.setReadStatus({ IDs: [welcome.ID], Read: true }));
await record("listAfterRead", () => mailpit.listMessages(0, 10));
await record("setReadStatusBySearch", () =>
  mailpit.setReadStatus({ Search: "subject:nothing-has-this", Read: false }));
await record("deleteMessagesBySearch", () =>
  mailpit.deleteMessagesBySearch({ query: "subject:nothing-has-this" }));
await record("searchMessages", () => mailpit.searchMessages({ query: "subject:welcome" }));
await record("waitForMessage", () =>
  mailpit.waitForMessage({ query: "subject:report" }, { timeout: 2000, interval: 200 }));
await record("getInfo", () => mailpit.getInfo());
await record("getTags", () => mailpit.getTags());
await record("renderMessageText", () => mailpit.renderMessageText(welcome.ID));
await record("deleteOne", () => mailpit.deleteMessages({ IDs: [welcome.ID] }));
await record("listAfterDelete", () => mailpit.listMessages());
await record("deleteAll", () => mailpit.deleteMessages());
await record("listAfterDeleteAll", () => mailpit.listMessages());

process.stdout.write(JSON.stringify(results));
