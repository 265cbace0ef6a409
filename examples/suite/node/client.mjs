// A small chat-stream client on eventsource-parser, written as an SDK would write it:
// fetch, check the status, parse SSE with eventsource-parser, JSON.parse each event's data.
// It prints what it decoded as JSON lines, so the sseproto conformance suite can grade it:
//
//   sseproto suite run -- node examples/suite/node/client.mjs {url} {kind}
//
// With kind "sse" it prints every SSE event; with "chat" (the default) it reads an
// OpenAI-style chat stream: deltas, one final per choice at [DONE], then done.
import { createParser } from "eventsource-parser";

const [url, kind = "chat"] = process.argv.slice(2);
const show = (event) => process.stdout.write(JSON.stringify(event) + "\n");

const choices = new Map();
let usage = null;
let lastId = null;
let ended = false;
let failed = false;

function onRaw(message) {
  lastId = message.id ?? lastId;
  show({ type: "event", event: message.event ?? "message", data: message.data, id: lastId });
}

function onChat(message) {
  if (ended || failed) return;
  if (message.data === "[DONE]") {
    for (const [index, choice] of [...choices].sort((a, b) => a[0] - b[0])) {
      show({ type: "final", index, generated_text: choice.text, finish_reason: choice.finish, usage });
    }
    show({ type: "done" });
    ended = true;
    return;
  }
  const chunk = JSON.parse(message.data);
  if (chunk.error) {
    show({ type: "error", message: chunk.error.message });
    failed = true;
    return;
  }
  usage = chunk.usage ?? usage;
  for (const choice of chunk.choices ?? []) {
    const state = choices.get(choice.index) ?? { text: "", finish: null };
    const content = choice.delta?.content ?? null;
    show({ type: "delta", index: choice.index, content });
    state.text += content ?? "";
    state.finish = choice.finish_reason ?? state.finish;
    choices.set(choice.index, state);
  }
}

try {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [] }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const parser = createParser({ onEvent: kind === "sse" ? onRaw : onChat });
  const decoder = new TextDecoder();
  for await (const bytes of response.body) parser.feed(decoder.decode(bytes, { stream: true }));
  parser.feed(decoder.decode());
  if (kind !== "sse" && !ended && !failed) throw new Error("the stream ended before [DONE]");
} catch (error) {
  console.error(`client: ${error.message}`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);
