// Error identity in a minified bundle, loaded twice: src/index.ts built by esbuild with `minify: true` (what the SAM
// template does) as an ES module and as CommonJS, both loaded in this process, as an application that imports spindle
// next to a library that requires it would. Names, the names recorded in histories, and instanceof must not depend on
// class names, which the minifier renames.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type BuildOptions } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Spindle = typeof import("spindle");

/** Spindle's error classes by the name each must carry. */
const ERROR_NAMES = [
  "SpindleError",
  "ValidationError",
  "NonDeterminismError",
  "ConcurrencyError",
  "StepFailedError",
  "StepTimeoutError",
  "TimeoutError",
  "CancelledError",
  "TerminalError",
  "PayloadTooLargeError",
  "SerializationError",
  "HistoryCorruptedError",
  "ExecutionNotFoundError",
  "ExecutionClosedError",
  "CallbackNotFoundError",
  "WorkflowNotFoundError",
  "IdempotencyConflictError",
  "StoreUnavailableError",
  "RedriveRefusedError",
  "DagFailedError",
] as const;

type ErrorName = (typeof ERROR_NAMES)[number];

/** An instance of the named class from one copy (StepFailedError and PayloadTooLargeError need their options). */
function make(copy: Spindle, name: ErrorName): Error {
  if (name === "StepFailedError") {
    return new copy.StepFailedError("failed", { stepName: "charge", attempts: 1, cause: new copy.TerminalError("declined") });
  }
  if (name === "DagFailedError") {
    return new copy.DagFailedError("failed", { failures: [{ task: "load", error: "StepFailedError", message: "x" }], results: { load: "failed" } });
  }
  if (name === "RedriveRefusedError") return new copy.RedriveRefusedError("refused", { status: "completed" });
  if (name === "PayloadTooLargeError") return new copy.PayloadTooLargeError("too large", { size: 2, limit: 1 });
  return new (copy[name] as new (message: string) => Error)("boom");
}

let dir: string;
let esm: Spindle;
let cjs: Spindle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spindle-minified-"));
  const entry = new URL("../../src/index.ts", import.meta.url).pathname;
  const common: BuildOptions = {
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    logLevel: "error",
  };
  await build({ ...common, format: "esm", outfile: join(dir, "spindle.mjs") });
  await build({ ...common, format: "cjs", outfile: join(dir, "spindle.cjs") });
  esm = (await import(/* @vite-ignore */ pathToFileURL(join(dir, "spindle.mjs")).href)) as Spindle;
  cjs = createRequire(import.meta.url)(join(dir, "spindle.cjs")) as Spindle;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("errors in a minified bundle", () => {
  it("are named by their literal names in both the ES module and the CommonJS copy", () => {
    // The bundles are minified: a function's own name is gone, so nothing below can pass by accident.
    expect(esm.createEngine.name).not.toBe("createEngine");
    expect(cjs.createEngine.name).not.toBe("createEngine");
    for (const copy of [esm, cjs]) {
      for (const name of ERROR_NAMES) expect(make(copy, name).name, name).toBe(name);
    }
  });

  it("record the literal name in the history, so a TerminalError stops retries and reaches the workflow as one", async () => {
    for (const copy of [esm, cjs]) {
      let attempts = 0;
      const charge = copy.workflow("charge", async function* () {
        try {
          return yield* copy.step(
            "charge",
            () => {
              attempts++;
              throw new copy.TerminalError("card declined");
            },
            { retry: { maxAttempts: 3, initialInterval: 1 } },
          );
        } catch (error) {
          const cause = (error as { cause?: unknown }).cause;
          return {
            failed: error instanceof copy.StepFailedError,
            cause: cause instanceof Error ? cause.name : typeof cause,
            terminal: [cause instanceof esm.TerminalError, cause instanceof cjs.TerminalError],
          };
        }
      });
      const engine = copy.createEngine({ store: new copy.MemoryStore(), workflows: [charge], logger: copy.silentLogger });
      try {
        const run = await engine.start(charge, undefined, { id: "charge-1" });
        expect(await run.result()).toEqual({ failed: true, cause: "TerminalError", terminal: [true, true] });
        const failures = (await engine.history("charge-1")).filter((event) => event.type === "StepFailed");
        expect(failures.map((event) => (event as { error: { name: string; code?: string } }).error)).toMatchObject([
          { name: "TerminalError", code: "TERMINAL" },
        ]);
        expect(attempts).toBe(1);
      } finally {
        await engine.close();
      }
    }
  });

  it("are instances of the other copy's class: CommonJS errors of the ES module classes, and the other way round", () => {
    for (const [from, to] of [
      [cjs, esm],
      [esm, cjs],
    ] as const) {
      for (const name of ERROR_NAMES) {
        const error = make(from, name);
        expect(error instanceof to[name], `${name} from one copy, instanceof the other's`).toBe(true);
        expect(error instanceof to.SpindleError, `${name} instanceof the other's SpindleError`).toBe(true);
        expect(error instanceof Error).toBe(true);
      }
      expect(new from.ValidationError("bad") instanceof to.TerminalError).toBe(false);
      expect(new Error("plain") instanceof to.SpindleError).toBe(false);
      expect(({ name: "TerminalError", message: "forged" } as unknown) instanceof to.TerminalError).toBe(false);
    }
  });

  it("keep subclasses apart across copies: a CancelledError is a CancelledError of the other copy, never a TimeoutError", () => {
    for (const [from, to] of [
      [cjs, esm],
      [esm, cjs],
    ] as const) {
      const cancelled = new from.CancelledError("cancelled", { reason: "customer asked" });
      expect(cancelled instanceof to.CancelledError).toBe(true);
      expect(cancelled instanceof to.TimeoutError).toBe(false);
      expect(new from.TimeoutError("late") instanceof to.CancelledError).toBe(false);
      expect(new from.StepTimeoutError("slow") instanceof to.TimeoutError).toBe(false);
      expect(new from.SpindleError("base") instanceof to.TerminalError).toBe(false);
    }
  });

  it("treat a subclass of your own as a TerminalError of either copy, and keep the ordinary instanceof for it", () => {
    class CardDeclined extends cjs.TerminalError {
      override name = "CardDeclined";
    }
    const declined = new CardDeclined("card declined");
    expect(declined.name).toBe("CardDeclined");
    expect(declined.code).toBe("TERMINAL");
    expect(declined instanceof esm.TerminalError).toBe(true);
    expect(declined instanceof esm.SpindleError).toBe(true);
    expect(declined instanceof esm.CancelledError).toBe(false);
    expect(declined instanceof CardDeclined).toBe(true);
    expect(new esm.TerminalError("no") instanceof CardDeclined).toBe(false);
    expect(new cjs.TerminalError("no") instanceof CardDeclined).toBe(false);
  });
});
