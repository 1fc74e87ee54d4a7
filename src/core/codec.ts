// Values that cross a yield are JSON text. Encoding rejects what would not round-trip (functions, cycles, BigInt,
// Map/Set, class instances, NaN/Infinity), what is nested deeper than MAX_VALUE_DEPTH and what is larger than the store
// takes; decoding always gives a fresh copy, so the workflow sees the same value on the first run as on replay. Ids and
// names have limits of their own here too (MAX_ID_BYTES, well-formed Unicode), the same for every store.
import { PayloadTooLargeError, SerializationError } from "../errors.js";

/** Where a value is being encoded, for error messages. */
export interface EncodeSite {
  executionId: string;
  /** e.g. `step 'quote' (#2) result` */
  operation: string;
  /** Largest accepted size in UTF-8 bytes. */
  limit: number;
}

/**
 * Largest execution id, workflow name or event name, in UTF-8 bytes. Every store takes ids and names up to this size
 * (DynamoDB keeps an id in a 1,024-byte index key); the engine refuses longer ones before any store call.
 */
export const MAX_ID_BYTES = 1000;

/** Deepest nesting of arrays and objects in a value (a value `[[1]]` is 2 levels deep). */
export const MAX_VALUE_DEPTH = 1000;

const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * True when the text is well-formed Unicode: no lone surrogate. Stores that keep text as UTF-8 (DynamoDB) would turn
 * each lone surrogate into U+FFFD, so two different ill-formed strings could name one item.
 */
export function isWellFormedText(text: string): boolean {
  return nativeIsWellFormed ? nativeIsWellFormed.call(text) : !LONE_SURROGATE.test(text);
}

class Rejected {
  constructor(readonly reason: string) {}
}

function strictReplacer(this: unknown, _key: string, value: unknown): unknown {
  switch (typeof value) {
    case "function":
      throw new Rejected("a function");
    case "symbol":
      throw new Rejected("a symbol");
    case "bigint":
      throw new Rejected("a BigInt (convert it to a string)");
    case "number":
      if (!Number.isFinite(value)) throw new Rejected(`the number ${value}`);
      return value;
    case "object": {
      if (value === null || Array.isArray(value)) return value;
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return value;
      const kind = (proto as { constructor?: { name?: string } }).constructor?.name ?? "an object with a prototype";
      throw new Rejected(`an instance of ${kind} (convert it to plain data)`);
    }
    default:
      return value;
  }
}

/**
 * Encodes a value as JSON text, or `undefined` for `undefined`.
 * @throws SerializationError when the value is not JSON data; PayloadTooLargeError when it is over `site.limit`.
 */
export function encodeValue(value: unknown, site: EncodeSite): string | undefined {
  if (value === undefined) return undefined;
  // A finite number's JSON is its String() (the same shortest round-trip digits, -0 as "0"), which skips the
  // serializer's setup: a step's result is often a number.
  if (typeof value === "number" && Number.isFinite(value)) {
    const text = String(value);
    checkSize(text, site);
    return text;
  }
  let text: string | undefined;
  let plain = false;
  try {
    // Plain data (the common case) is stringified without a replacer, which keeps V8's fast path; anything else
    // (dates, class instances, cycles, ...) goes through the strict replacer, which accepts toJSON or says what is wrong.
    plain = isPlainData(value, 0);
    text = plain ? JSON.stringify(value) : JSON.stringify(value, strictReplacer);
  } catch (error) {
    // JSON.stringify overflows the stack on a value thousands of levels deep: that is depth, not a cycle.
    if (error instanceof RangeError && /call stack/i.test(error.message)) throw tooDeep(site);
    const reason =
      error instanceof Rejected
        ? error.reason
        : error instanceof TypeError && /circular/i.test(error.message)
          ? "a circular reference"
          : `a part that cannot be encoded (${error instanceof Error ? error.message : String(error)})`;
    throw new SerializationError(
      `Execution '${site.executionId}': ${site.operation} is not JSON data: it contains ${reason}. ` +
        `Values that cross a yield must be plain JSON (objects, arrays, strings, finite numbers, booleans, null).`,
      { executionId: site.executionId, operation: site.operation },
    );
  }
  if (text === undefined) return undefined;
  // Plain data no deeper than MAX_PLAIN_DEPTH took the fast path; anything else is measured on its text.
  if (!plain && text.length > 2 * MAX_VALUE_DEPTH && jsonDepth(text) > MAX_VALUE_DEPTH) throw tooDeep(site);
  checkSize(text, site);
  return text;
}

function tooDeep(site: EncodeSite): SerializationError {
  return new SerializationError(
    `Execution '${site.executionId}': ${site.operation} is nested more than ${MAX_VALUE_DEPTH} levels deep (arrays ` +
      `and objects); the limit is ${MAX_VALUE_DEPTH} levels. Flatten it (for example a list of records instead of a ` +
      `chain), or keep it elsewhere and pass a reference.`,
    { executionId: site.executionId, operation: site.operation },
  );
}

/** Deepest nesting of arrays and objects in JSON text, counted without recursion. */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

const MAX_PLAIN_DEPTH = 64;

/** True for JSON data made of plain objects, arrays and finite primitives, no deeper than MAX_PLAIN_DEPTH. */
function isPlainData(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_PLAIN_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainData(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        const field = (value as Record<string, unknown>)[key];
        if (field !== undefined && !isPlainData(field, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Checks the UTF-8 size of already-encoded text against the site's limit. */
export function checkSize(text: string, site: EncodeSite): void {
  if (text.length * 3 <= site.limit) return;
  const size = utf8Length(text);
  if (size <= site.limit) return;
  throw new PayloadTooLargeError(
    `Execution '${site.executionId}': ${site.operation} is ${size} bytes, over the store's limit of ${site.limit} ` +
      `bytes. Keep large data elsewhere (for example S3) and pass a reference instead.`,
    { executionId: site.executionId, operation: site.operation, size, limit: site.limit },
  );
}

/** Decodes text written by `encodeValue`: a fresh copy each time. */
export function decodeValue(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * What `decodeValue(text)` gives for `text`, the encoding `encodeValue` just made of `value`, without parsing it when
 * `value` is a primitive: a string, boolean, null or finite number decodes to itself (-0 to 0, as JSON has no -0).
 * Objects and arrays are parsed, so the workflow gets a fresh copy as on replay.
 */
export function decodeEncoded(text: string | undefined, value: unknown): unknown {
  if (text === undefined) return undefined;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return value === 0 ? 0 : value; // -0 === 0: both decode to 0
    default:
      return value === null ? null : JSON.parse(text);
  }
}

/** True when the value survives a JSON round trip unchanged in meaning. */
export function isJsonSafe(value: unknown): boolean {
  try {
    JSON.stringify(value, strictReplacer);
    return true;
  } catch {
    return false;
  }
}

/** UTF-8 length of a string without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
