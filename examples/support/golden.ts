// Golden histories: each example keeps one recorded history (<name>.history.json) that its test replays against
// today's code. The files are recorded by examples/record-golden.ts, never written by hand; this module holds the
// writer and the one edit the tests make to prove that a drifted history is caught.
import { writeFile } from "node:fs/promises";
import type { HistoryEvent } from "../../src/index.js";

/** Where an example's golden history lives. */
export function goldenUrl(name: string): URL {
  return new URL(`../${name}/${name}.history.json`, import.meta.url);
}

/** Writes a recorded history as the example's golden file (2-space JSON, one event per block, a final newline). */
export async function writeGolden(name: string, events: readonly HistoryEvent[]): Promise<string> {
  const url = goldenUrl(name);
  await writeFile(url, `${JSON.stringify(events, null, 2)}\n`);
  return url.pathname;
}

/**
 * A copy of a recorded history in which every event of the operation named `from` is renamed `to`: what a
 * refactoring that renames a step does to executions in flight. Throws if no event has that name, so a test built on
 * it cannot pass by editing nothing.
 */
export function renameOperation(events: readonly unknown[], from: string, to: string): unknown[] {
  let renamed = 0;
  const copy = events.map((event) => {
    const record = event as { name?: unknown };
    if (record.name !== from) return event;
    renamed++;
    return { ...record, name: to };
  });
  if (renamed === 0) throw new Error(`renameOperation: no event of the history is named '${from}'.`);
  return copy;
}
