// Inbox items <-> DynamoDB items: the unread item and its dedupe marker. A payload that is a JSON object with escapes
// is stored field by field, so its size is counted once, as every store counts it (a value of quotes is not escaped
// twice); items written the old way still read back.
import type { InboxItem } from "spindle/store";
import type { Item } from "./codec.js";
import { decodeNumber, encodeNumber, isWellFormed } from "./codec.js";
import { ATTR, inboxKey } from "./table.js";

/** An inbox item (unread `U#<id>`, or its dedupe marker `D#<key>` under `sk`). */
export function inboxItemAttributes(id: string, sk: string, item: InboxItem): Item {
  const stored: Item = {
    [ATTR.pk]: id,
    [ATTR.sk]: sk,
    id: item.id,
    key: item.key,
    type: item.type,
    name: item.name,
    at: encodeNumber(item.at),
  };
  if (item.payload !== undefined) Object.assign(stored, payloadAttributes(item.payload));
  if (item.traceparent !== undefined) stored.tp = item.traceparent;
  return stored;
}

/** DynamoDB keeps text as UTF-8: a lone surrogate would come back as U+FFFD. */
/**
 * How an inbox payload is stored. The engine's own payloads are JSON objects whose string fields hold JSON text
 * already (a callback's `{"value":"..."}`, a child's `{"status":"completed","result":"..."}`): kept as one string,
 * every quote and backslash of the value inside would be escaped a second time, and a value under `maxValueBytes`
 * could double in size and no longer fit an item. Such a payload is stored as its fields instead: `pf` lists each
 * field's name, then `s` + its text (a string) or `j` + its JSON (anything else), in order. It decodes to the same
 * text byte for byte (checked here, else the payload is stored as it is). A payload without escapes gains nothing and
 * is stored as it is.
 */
export function payloadAttributes(payload: string): Item {
  if (payload.charCodeAt(0) !== 0x7b || !payload.includes("\\")) return { payload };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return { payload };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { payload };
  const fields: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (!isWellFormed(name)) return { payload };
    fields.push(name, typeof value === "string" && isWellFormed(value) ? `s${value}` : `j${JSON.stringify(value)}`);
  }
  return payloadFromFields(fields) === payload ? { pf: fields } : { payload };
}

/** The payload text of `pf` fields (see payloadAttributes). */
function payloadFromFields(fields: readonly unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = String(fields[i + 1]);
    parts.push(`${JSON.stringify(String(fields[i]))}:${value.startsWith("s") ? JSON.stringify(value.slice(1)) : value.slice(1)}`);
  }
  return `{${parts.join(",")}}`;
}

export function unreadInboxItem(id: string, item: InboxItem): Item {
  return inboxItemAttributes(id, inboxKey(item.id), item);
}

export function decodeInboxItem(item: Item): InboxItem {
  const decoded: InboxItem = {
    id: String(item.id),
    key: String(item.key),
    type: item.type as InboxItem["type"],
    name: String(item.name),
    at: decodeNumber(item.at),
  };
  if (typeof item.payload === "string") decoded.payload = item.payload;
  else if (Array.isArray(item.pf)) decoded.payload = payloadFromFields(item.pf);
  if (typeof item.tp === "string") decoded.traceparent = item.tp;
  return decoded;
}
