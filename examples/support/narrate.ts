// Console narration shared by the examples: one short line per thing that happens, stamped with the virtual time of
// the test engine's clock, so that hours of workflow time read like a log written as they passed. The workflows'
// ctx.log lines and the simulation's own say() lines go through the same formatter and stay aligned.
import type { HistoryEvent, LogFields, Logger } from "../../src/index.js";
import { formatTimeline } from "../../src/testing/index.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** What an example prints with. */
export interface Narrator {
  /** For `createTestEngine({ logger })`: ctx.log lines, labelled with their execution id. */
  logger: Logger;
  /** A line from someone outside the workflows: a customer, a barista, the stream, the script itself. */
  say(who: string, message: string): void;
}

/**
 * A narrator reading the virtual clock through `now`. `width` is the label column's width: labels longer than that
 * push the message right, so pick it from the longest execution id of the example.
 */
export function createNarrator(now: () => Date, width: number): Narrator {
  const say = (who: string, message: string) => console.log(`${stamp(now())}  ${who.padEnd(width)}  ${message}`);
  const write = (prefix: string) => (message: string, fields?: LogFields) =>
    say(String(fields?.executionId ?? "engine"), prefix + message);
  return { logger: { debug: () => {}, info: write(""), warn: write("warning: "), error: write("error: ") }, say };
}

/** `Mar 02 08:02:30`: the date tells the days apart in runs that span days or a month. */
export function stamp(at: Date): string {
  return `${MONTHS[at.getUTCMonth()]} ${at.toISOString().slice(8, 10)} ${at.toISOString().slice(11, 19)}`;
}

/** Prints an execution's timeline under a heading. */
export function printTimeline(id: string, events: readonly HistoryEvent[]): void {
  console.log(`\nTimeline of ${id} (${events.length} events)`);
  console.log(formatTimeline(events));
}

/** Prints the closing line: how much workflow time passed in how little real time. */
export function printSummary(virtualMs: number, realMs: number): void {
  console.log(`\n${formatSpan(virtualMs)} of workflow time in ${realMs.toFixed(0)} ms of real time.`);
}

/** `2d 2h 10m 30s`, or `2h 10m 30s` under a day. */
export function formatSpan(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const days = Math.floor(seconds / 86_400);
  const rest = `${Math.floor(seconds / 3600) % 24}h ${Math.floor(seconds / 60) % 60}m ${seconds % 60}s`;
  return days > 0 ? `${days}d ${rest}` : rest;
}
