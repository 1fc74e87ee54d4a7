// MemoryStore's `list` cursor: the position after a page's last record, (createdAt, id) in the listing's newest-first
// order, as base64url JSON. A position, not a record to find again, so a page still follows on when that record has
// changed status or gone since; and a string this store did not make is refused instead of read as the first page.
import { ValidationError } from "../errors.js";

/**
 * Where a listing page ended: the creation time and id of its last record.
 *
 * @example
 * ```ts
 * const after: ListPosition = { createdAt: 1_700_000_000_000, id: "order-o-1" };
 * ```
 */
export interface ListPosition {
  createdAt: number;
  id: string;
}

/**
 * The cursor of the page after `last`.
 *
 * @example
 * ```ts
 * const cursor = encodeListCursor({ createdAt: 1_700_000_000_000, id: "order-o-1" });
 * ```
 */
export function encodeListCursor(last: ListPosition): string {
  return Buffer.from(JSON.stringify([last.createdAt, last.id]), "utf8").toString("base64url");
}

/**
 * Reads a cursor `encodeListCursor` made.
 *
 * @example
 * ```ts
 * decodeListCursor(encodeListCursor({ createdAt: 1, id: "a" })); // { createdAt: 1, id: "a" }
 * ```
 * @throws ValidationError for anything else (not a string, not base64url, not a position): nothing is listed.
 */
export function decodeListCursor(cursor: unknown): ListPosition {
  if (typeof cursor === "string" && cursor !== "") {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
      if (Array.isArray(parsed) && parsed.length === 2 && Number.isFinite(parsed[0]) && typeof parsed[1] === "string") {
        const position = { createdAt: parsed[0] as number, id: parsed[1] };
        // Base64url decoding skips what it cannot read: only the exact encoding of a position is one.
        if (encodeListCursor(position) === cursor) return position;
      }
    } catch {
      // not JSON: refused below
    }
  }
  throw new ValidationError(
    `list: the cursor ${describeCursor(cursor)} is not one this store made. Pass the \`cursor\` of a page this store ` +
      `returned (unchanged), or none for the first page.`,
    { operation: "list" },
  );
}

/**
 * A cursor as messages show it, cut to 80 characters.
 *
 * @example
 * ```ts
 * describeCursor("zzz"); // '"zzz"'
 * ```
 */
export function describeCursor(cursor: unknown): string {
  if (typeof cursor !== "string") return `of type ${cursor === null ? "null" : typeof cursor}`;
  return JSON.stringify(cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor);
}
