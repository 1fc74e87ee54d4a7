// A progress bar for long CLI runs (`spindle check` over thousands of executions), hand-written: one line on stderr
// redrawn in place with a carriage return, only when stderr is a terminal (never in a pipe, a CI log or with --json).
// It redraws when the shown figure changes (a step of the bar or of the percentage), not on a timer, so a fast run
// writes a few hundred short lines at most and a test can drive it without a clock.
import type { CliStream } from "./commands/types.js";

/**
 * A progress line: `update(done)` as work completes, `finish()` to clear it before the report is printed.
 *
 * @example
 * ```ts
 * const bar = progressBar(process.stderr, { label: "checking", total: ids.length });
 * for (const [index, id] of ids.entries()) { await check(id); bar.update(index + 1); }
 * bar.finish();
 * ```
 */
export interface ProgressBar {
  update(done: number): void;
  /** Clears the line (when one was drawn). */
  finish(): void;
}

/** A bar that draws nothing. */
const SILENT: ProgressBar = { update: () => {}, finish: () => {} };

/**
 * A progress bar on `stream`, or a silent one when `stream` is not a terminal, `enabled` is false, or there are fewer
 * than `minimum` items (a short run needs none).
 *
 * @example
 * ```ts
 * const bar = progressBar(context.io.stderr, { label: "checking", total: 5000, enabled: !context.json });
 * // checking [##########--------------------]  1712/5000  34%
 * ```
 */
export function progressBar(
  stream: CliStream,
  options: { label: string; total: number; enabled?: boolean; minimum?: number },
): ProgressBar {
  const { label, total } = options;
  if (options.enabled === false || stream.isTTY !== true || total < (options.minimum ?? 20)) return SILENT;
  const counter = String(total).length;
  // The bar fills what the terminal's width leaves after the label, the counts and the percentage.
  const room = (stream.columns ?? 80) - label.length - 2 * counter - 12;
  const width = Math.max(10, Math.min(40, room));
  let shown = "";
  let drawn = false;
  return {
    update(done: number) {
      const clamped = Math.min(Math.max(0, done), total);
      const filled = Math.floor((clamped / total) * width);
      const percent = Math.floor((clamped / total) * 100);
      const key = `${filled}:${percent}`;
      if (key === shown && clamped !== total) return;
      shown = key;
      drawn = true;
      const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
      stream.write(`\r${label} [${bar}] ${String(clamped).padStart(counter)}/${total} ${String(percent).padStart(3)}%`);
    },
    finish() {
      if (drawn) stream.write("\r\u001b[2K");
      drawn = false;
    },
  };
}
