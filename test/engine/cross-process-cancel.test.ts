// A cancel from another process is never lost. Engine B cancels while engine A runs a turn of the execution: A sees
// the cancel at its next write and delivers it at the operation the workflow is at (compensation runs, the execution
// ends cancelled); a cancel that arrives after the body's last operation, before the end is written, still ends it
// cancelled; once the end is written, cancel says it came too late. Each call says whether it recorded anything, so
// of two processes stopping the execution at once exactly one is told it did. On MemoryStore and DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { CancelledError, createEngine, ExecutionClosedError, silentLogger, step, waitForEvent, workflow } from "spindle";
import { bothStores } from "../dynamodb/helpers.js";

const stores = bothStores("xcancel");

let ids = 0;
describe.each(stores)("a cancel from another process on %s", (_label, makeStore) => {
  interface Context {
    /** The other process's engine. */
    other(): ReturnType<typeof createEngine>;
    ran: string[];
    id: string;
  }
  function setup(body: (context: Context) => unknown) {
    const store = makeStore();
    const context = { ran: [] as string[], id: `xcancel-${process.pid}-${Date.now().toString(36)}-${++ids}` } as Context;
    const wf = workflow(`xcancel-${ids}`, body(context) as never);
    const first = createEngine({ store, workflows: [wf], mode: "external", logger: silentLogger });
    const other = createEngine({ store, workflows: [wf], mode: "external", logger: silentLogger });
    context.other = () => other;
    return { wf, first, other, id: context.id, ran: context.ran };
  }

  it("reaches a running turn at its next write and is delivered at the current operation, with compensation", async () => {
    const { wf, first, other, id, ran } = setup((context) => async function* () {
      try {
        yield* step("reserve", async () => {
          context.ran.push("reserve");
          await context.other().cancel(context.id, "changed my mind");
        });
        yield* step("charge", () => void context.ran.push("charge"));
        return "done";
      } catch (error) {
        yield* step("release", () => void context.ran.push("release"));
        throw error;
      }
    });
    await first.start(wf, undefined, { id });
    await first.resume(id);
    await expect(first.result(id)).rejects.toBeInstanceOf(CancelledError);
    expect((await other.describe(id)).status).toBe("cancelled");
    expect(ran).toEqual(["reserve", "release"]);
  });

  it("ends the run cancelled when the cancel arrives after the last operation but before the end is written", async () => {
    const { wf, first, other, id, ran } = setup((context) => async function* () {
      yield* step("last", async () => {
        context.ran.push("last");
        await context.other().cancel(context.id, "just in time");
      });
      return "done";
    });
    await first.start(wf, undefined, { id });
    await first.resume(id);
    await expect(first.result(id)).rejects.toBeInstanceOf(CancelledError);
    expect(await other.describe(id)).toMatchObject({ status: "cancelled" });
    expect(ran).toEqual(["last"]);
  });

  it("says a cancel came too late once the end is written", async () => {
    const { wf, first, other, id } = setup(() => async function* () {
      yield* step("only", () => 1);
      return "done";
    });
    await first.start(wf, undefined, { id });
    await first.resume(id);
    expect(await first.result(id)).toBe("done");
    await expect(other.cancel(id, "too late")).rejects.toBeInstanceOf(ExecutionClosedError);
  });

  it("tells each caller whether it recorded: of two processes cancelling, then terminating, at once, one records", async () => {
    const { wf, first, other, id } = setup(() => async function* () {
      yield* waitForEvent("go");
      return "done";
    });
    await first.start(wf, undefined, { id });
    await first.resume(id);
    const cancels = await Promise.all([first.cancel(id, "a"), other.cancel(id, "b")]);
    expect(cancels.map((answer) => answer.recorded).sort()).toEqual([false, true]);
    expect(cancels.every((answer) => answer.executionId === id)).toBe(true);
    // The cancellation is requested, not yet delivered: asking again records nothing.
    expect(await other.cancel(id)).toEqual({ executionId: id, recorded: false });
    const terminations = await Promise.all([first.terminate(id, "a"), other.terminate(id, "b")]);
    expect(terminations.map((answer) => answer.recorded).sort()).toEqual([false, true]);
    expect(await other.describe(id)).toMatchObject({ status: "terminated" });
    expect(await first.cancel(id)).toEqual({ executionId: id, recorded: false });
    expect(await first.terminate(id)).toEqual({ executionId: id, recorded: false });
  });
});
