// A strongly consistent read of one execution's record (with its large fields, and its version moved to the end of
// its run's tail), and the sorting of a query's items into the record, its parts and the inbox, shared with loads.
import type { Item, RecordState } from "./codec.js";
import { decodeRecord } from "./codec.js";
import type { Io } from "./io.js";
import { isEvent, SPLIT_ATTR } from "./positions.js";
import { ATTR, EVENT_PREFIX, INBOX_PREFIX, parseEventKey, RECORD_PART_PREFIX, RECORD_SK } from "./table.js";

const RECORD_RANGE_END = "R$"; // just past "R#..." and before "U#"
/** Attempts when the record and its parts disagree (a write landed between reading them). */
export const MAX_READ_ATTEMPTS = 5;

/** Sorts the items of a query into the record, its parts and the inbox. */
export class Collected {
  record: Item | undefined;
  readonly parts = new Map<string, Item>();
  inbox: Item[] = [];

  /** Takes a record, part or inbox item; false for anything else (events). */
  take(item: Item): boolean {
    const sk = String(item[ATTR.sk]);
    if (sk === RECORD_SK) this.record = item;
    else if (sk.startsWith(RECORD_PART_PREFIX)) this.parts.set(sk.slice(RECORD_PART_PREFIX.length), item);
    else if (sk.startsWith(INBOX_PREFIX)) this.inbox.push(item);
    else return false;
    return true;
  }
}

/**
 * The record item and its parts, with its version moved to the end of the run's tail; read again when a part and the
 * record disagree (a write landed between). One Query, backwards from the record's parts: the parts, the record, then
 * the newest items of the run, read after the record, until the newest event (markers and leftovers skipped).
 */
export async function readRecord(io: Io, id: string): Promise<RecordState | undefined> {
  for (let attempt = 1; ; attempt++) {
    const top = new Collected();
    let state: RecordState | undefined;
    let decided = false;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await io.queryPage("get", id, {
        KeyConditionExpression: "pk = :id AND sk BETWEEN :from AND :end",
        ExpressionAttributeValues: { ":id": id, ":from": EVENT_PREFIX, ":end": RECORD_RANGE_END },
        ConsistentRead: true,
        ScanIndexForward: false,
        Limit: startKey ? 100 : 8,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      for (const item of page.items) {
        if (state === undefined) {
          if (!top.take(item)) {
            decided = true; // events and no record
            break;
          }
          if (top.record !== undefined) {
            const decoded = decodeRecord(top.record, top.parts);
            if (decoded.missing.length > 0) break;
            state = decoded.state;
          }
          continue;
        }
        const key = parseEventKey(String(item[ATTR.sk]));
        const stored = state.record.version;
        if (!key || key.run !== state.record.runs || key.seq <= stored) {
          decided = true;
          break;
        }
        if (isEvent(item, key.seq, stored)) {
          // Events after the stored version are written one position after another: the newest ends the tail.
          state.record.version = key.seq;
          decided = true;
          break;
        }
        // A split write's leftovers start right after the stored version: there is no tail.
        if (item[SPLIT_ATTR] !== undefined) {
          decided = true;
          break;
        }
      }
      startKey = page.lastKey;
    } while (startKey && !decided && (state !== undefined || top.record === undefined));
    if (!top.record) return undefined;
    if (state) return state;
    if (attempt >= MAX_READ_ATTEMPTS) {
      const missing = decodeRecord(top.record, top.parts).missing;
      throw new Error(`DynamoDBStore: the record of execution '${id}' names parts that are missing (${missing.join(", ")}).`);
    }
  }
}
