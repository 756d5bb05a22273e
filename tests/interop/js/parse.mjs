// Reads webhooks and Kafka records with the official JavaScript CloudEvents SDK.
//
// stdin: {"webhooks": [{"name", "headers": {name: value}, "body"}],
//         "records": [{"name", "key", "value", "headers": [[name, value], ...]}]}
// stdout: one JSON line per message: {"name", "ok", "event"} or {"name", "ok": false, "error"}.
import { readFileSync } from "node:fs";
import { HTTP, Kafka } from "cloudevents";

const input = JSON.parse(readFileSync(0, "utf8"));

function report(name, read) {
  try {
    const event = read();
    // The bindings build the event without checking it; the SDK's own schema does here.
    event.validate();
    return { name, ok: true, event: event.toJSON() };
  } catch (error) {
    return { name, ok: false, error: String(error && error.message ? error.message : error) };
  }
}

const lines = [];
for (const webhook of input.webhooks) {
  lines.push(
    report(webhook.name, () => HTTP.toEvent({ headers: webhook.headers, body: webhook.body })),
  );
}
for (const record of input.records) {
  const headers = Object.fromEntries(record.headers);
  lines.push(
    report(record.name, () =>
      Kafka.toEvent({ key: record.key, value: record.value, headers, timestamp: undefined }),
    ),
  );
}
process.stdout.write(lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
