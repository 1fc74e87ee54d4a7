// Item sizes the way DynamoDB counts them (attribute names plus values; numbers by significant digits), so an item
// that cannot fit under the 400 KB limit is refused before any write.

/** An item as the document client reads and writes it. */
type Item = Record<string, unknown>;

/** UTF-8 byte length. */
export function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** An item's size as DynamoDB counts it, rounded up (numbers: 1 byte per two significant digits, plus 2). */
export function itemSize(item: Item): number {
  let size = 0;
  for (const name in item) {
    const value = item[name];
    if (value !== undefined) size += bytes(name) + valueSize(value);
  }
  return size;
}

function numberSize(value: number): number {
  const digits = String(Math.abs(value)).replace(/e.*$/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "").length;
  return Math.ceil(Math.max(digits, 1) / 2) + 2;
}

function valueSize(value: unknown): number {
  if (typeof value === "string") return bytes(value);
  if (typeof value === "number") return numberSize(value);
  if (typeof value === "boolean" || value === null) return 1;
  if (value instanceof Set) {
    let size = 0;
    for (const element of value) size += typeof element === "string" ? bytes(element) : numberSize(Number(element));
    return size;
  }
  if (Array.isArray(value)) return value.reduce((sum: number, element) => sum + 1 + valueSize(element), 3);
  if (typeof value === "object") {
    let size = 3;
    for (const [name, element] of Object.entries(value as Record<string, unknown>)) {
      if (element !== undefined) size += 1 + bytes(name) + valueSize(element);
    }
    return size;
  }
  return 0;
}
