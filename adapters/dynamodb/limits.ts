// DynamoDB's 400 KB item limit, checked before anything is written: an item that cannot fit is a non-retryable
// PayloadTooLargeError naming the execution, the operation, the size and the limit — never a failed write retried.
import type { HistoryEvent } from "spindle";
import { PayloadTooLargeError } from "spindle";
import type { Item } from "./codec.js";
import { itemSize } from "./codec.js";
import { MAX_ITEM_BYTES } from "./table.js";

const ADVICE =
  "Nothing was written. Make the value smaller, or keep it elsewhere (S3) and pass a reference.";

/**
 * The size of an event's item.
 * @throws PayloadTooLargeError naming the event's operation (e.g. `step 'charge' (#3)`) when it cannot fit.
 */
export function checkEventSize(id: string, event: HistoryEvent, item: Item): number {
  const size = itemSize(item);
  if (size <= MAX_ITEM_BYTES) return size;
  const operation = `${event.kind} '${event.name}' (#${event.opId})`;
  throw new PayloadTooLargeError(
    `Execution '${id}': the ${event.type} event of ${operation} would be a DynamoDB item of ` +
      `${size.toLocaleString("en-US")} bytes; the limit is ${MAX_ITEM_BYTES.toLocaleString("en-US")} bytes (400 KB, ` +
      `attribute names included). ${ADVICE}`,
    { executionId: id, operation, size, limit: MAX_ITEM_BYTES },
  );
}

/** @throws PayloadTooLargeError when another item (`what`: the record, an inbox item) cannot fit. */
export function checkSize(id: string, item: Item, what: string): void {
  const size = itemSize(item);
  if (size <= MAX_ITEM_BYTES) return;
  throw new PayloadTooLargeError(
    `Execution '${id}': ${what} would be a DynamoDB item of ${size.toLocaleString("en-US")} bytes; the limit is ` +
      `${MAX_ITEM_BYTES.toLocaleString("en-US")} bytes (400 KB, attribute names included). ${ADVICE}`,
    { executionId: id, operation: what, size, limit: MAX_ITEM_BYTES },
  );
}
