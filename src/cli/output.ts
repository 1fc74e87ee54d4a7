// Output helpers of the CLI: aligned text tables, times, values shortened for a cell, and the JSON the commands print
// with --json (Dates as ISO strings, two-space indent).

/**
 * An aligned text table: a header row, then one row per entry; every column as wide as its widest cell.
 *
 * @example
 * ```ts
 * table(["ID", "STATUS"], [["order-1", "suspended"]]);
 * // ID       STATUS
 * // order-1  suspended
 * ```
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/**
 * A time for a table cell: ISO 8601 in UTC to the second, or `-`.
 *
 * @example
 * ```ts
 * when(new Date(0)); // "1970-01-01T00:00:00Z"
 * ```
 */
export function when(date: Date | number | undefined): string {
  if (date === undefined) return "-";
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A value as compact JSON, cut to `max` characters with an ellipsis.
 *
 * @example
 * ```ts
 * short({ orderId: "o-1" }); // '{"orderId":"o-1"}'
 * ```
 */
export function short(value: unknown, max = 60): string {
  const text = value === undefined ? "-" : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The JSON text the commands print with --json.
 *
 * @example
 * ```ts
 * context.print(json({ executionId: "order-1", duplicate: false }));
 * ```
 */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * A word as a POSIX shell reads it back: as is when it has no special character, else single-quoted.
 *
 * @example
 * ```ts
 * shellWord("orders"); // "orders"
 * shellWord("my config.ts"); // "'my config.ts'"
 * ```
 */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
