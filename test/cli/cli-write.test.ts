// The commands that change executions, against MemoryStore through a config module: send, complete, fail, cancel,
// terminate, resume and redrive. Each goes through the engine's public call; the test checks the effect in the
// fixture's store (the same instance the CLI loaded), that refused input stores nothing, and the exit codes.
import { describe, expect, it } from "vitest";
import { approval, charge, flaky, order, store, tokens } from "./fixtures/spindle.config.js";
import { fixtureEngine, withConfig } from "./helpers.js";

const engine = fixtureEngine();

/** Starts an order and runs its first turn: it waits for `paid`. */
async function waitingOrder(id: string): Promise<void> {
  await engine.start(order, { orderId: id }, { id });
  await engine.resume(id);
}

/** Starts an approval and runs its first turn: the callback's token is handed out; returns it. */
async function waitingApproval(id: string): Promise<string> {
  await engine.start(approval, { requestId: id }, { id });
  await engine.resume(id);
  return tokens.get(id)!;
}

async function inboxSize(id: string): Promise<number> {
  const page = await store.load(id);
  return page!.inbox.length;
}

describe("spindle send", () => {
  it("delivers an event the next turn takes", async () => {
    await waitingOrder("send-1");
    const run = await withConfig("send", "send-1", "paid", '{"ref":"r-1"}');
    expect(run).toEqual({ code: 0, stdout: "sent event 'paid' to send-1\n", stderr: "" });
    expect((await engine.resume("send-1")).status).toBe("completed");
    expect(await engine.result("send-1")).toEqual({ status: "paid", ref: "r-1" });
  });

  it("--key delivers once: the second send with the key is a duplicate and stores nothing new", async () => {
    await waitingOrder("send-2");
    const first = await withConfig("send", "send-2", "paid", '{"ref":"r-2"}', "--key", "evt-2", "--json");
    expect(JSON.parse(first.stdout)).toEqual({ executionId: "send-2", event: "paid", duplicate: false });
    const again = await withConfig("send", "send-2", "paid", '{"ref":"r-2"}', "--key", "evt-2", "--json");
    expect(JSON.parse(again.stdout)).toEqual({ executionId: "send-2", event: "paid", duplicate: true });
    expect(await inboxSize("send-2")).toBe(1);
  });

  it("refuses a payload the workflow's schema rejects, an undeclared event and bad JSON: exit 2, nothing stored", async () => {
    await waitingOrder("send-3");
    for (const [argv, message] of [
      [["paid", '{"ref":7}'], /the payload does not match the event's schema.*Nothing was stored; fix the payload and send again\. \(VALIDATION\)/],
      [["shipped", "{}"], /declares no event 'shipped' \(it declares: paid\)/],
      [["paid", "{ref:'r'}"], /<payload> is not JSON \(.*\): "\{ref:'r'\}"\. Pass a JSON value quoted for the shell/],
    ] as const) {
      const run = await withConfig("send", "send-3", ...argv);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
    expect(await inboxSize("send-3")).toBe(0);
  });

  it("exits 3 for an unknown execution and 1 for a closed one", async () => {
    expect((await withConfig("send", "no-such", "paid", '{"ref":"r"}')).code).toBe(3);
    await waitingOrder("send-4");
    await engine.terminate("send-4");
    const closed = await withConfig("send", "send-4", "paid", '{"ref":"r"}');
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/^spindle send: .*send-4.*\(EXECUTION_CLOSED\)\n$/);
  });
});

describe("spindle complete and fail", () => {
  it("complete delivers the value the workflow's callback returns", async () => {
    const token = await waitingApproval("approve-1");
    const run = await withConfig("complete", token, '{"approved":true}', "--json");
    expect(JSON.parse(run.stdout)).toEqual({ executionId: "approve-1", completed: true });
    expect((await engine.resume("approve-1")).status).toBe("completed");
    expect(await engine.result("approve-1")).toBe(true);
    // The token is spent: a second completion is refused as not found.
    const again = await withConfig("complete", token, '{"approved":false}');
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/\(CALLBACK_NOT_FOUND\)\n$/);
  });

  it("complete refuses a value the callback's schema rejects (exit 2); the token stays valid", async () => {
    const token = await waitingApproval("approve-2");
    const refused = await withConfig("complete", token, '{"approved":"yes"}');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/does not match its declared schema/);
    expect((await withConfig("complete", token, '{"approved":false}')).code).toBe(0);
    await engine.resume("approve-2");
    expect(await engine.result("approve-2")).toBe(false);
  });

  it("fail makes the workflow's callback throw the error, with its name and code", async () => {
    const token = await waitingApproval("approve-3");
    const run = await withConfig("fail", token, "the manager said no", "--name", "Rejected", "--code", "REJECTED");
    expect(run).toEqual({ code: 0, stdout: "failed the callback of approve-3\n", stderr: "" });
    expect((await engine.resume("approve-3")).status).toBe("failed");
    await expect(engine.result("approve-3")).rejects.toMatchObject({ name: "Rejected", message: "the manager said no", code: "REJECTED" });
    // The error carries no stack: the CLI's own frames are not the callback's, and the console shows what is recorded.
    const recorded = JSON.stringify(await engine.history("approve-3"));
    expect(recorded).toContain('"message":"the manager said no"');
    expect(recorded).not.toContain('"stack"');
  });

  it("exits 3 for a token nobody handed out", async () => {
    const run = await withConfig("fail", "not-a-token", "no");
    expect(run.code).toBe(3);
  });
});

describe("spindle cancel and terminate", () => {
  it("cancel records a cancellation the next turn runs; a closed execution is refused with exit 1", async () => {
    await waitingOrder("cancel-1");
    const run = await withConfig("cancel", "cancel-1", "--reason", "customer changed their mind");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("cancellation of cancel-1 recorded; its next turn runs it\n");
    // a second cancel before that turn records nothing (a run takes one cancellation), and says why
    const pending = await withConfig("cancel", "cancel-1", "--json");
    expect(JSON.parse(pending.stdout)).toMatchObject({ executionId: "cancel-1", cancelled: false });
    expect((await withConfig("cancel", "cancel-1")).stdout).toMatch(/^cancel-1 \(\w+\): its current run was cancelled already .*: nothing recorded\n$/);
    expect((await engine.resume("cancel-1")).status).toBe("cancelled");
    await expect(engine.result("cancel-1")).rejects.toMatchObject({ name: "CancelledError" });
    // cancelling a cancelled execution does nothing, and says so; a completed one is refused
    expect(await withConfig("cancel", "cancel-1")).toEqual({ code: 0, stdout: "cancel-1 is already cancelled: nothing recorded\n", stderr: "" });
    expect(JSON.parse((await withConfig("cancel", "cancel-1", "--json")).stdout)).toEqual({ executionId: "cancel-1", cancelled: false, status: "cancelled" });
    expect(await withConfig("terminate", "cancel-1")).toEqual({ code: 0, stdout: "cancel-1 is already cancelled: nothing recorded\n", stderr: "" });
    expect((await engine.describe("cancel-1")).status).toBe("cancelled");
    await waitingOrder("cancel-2");
    await engine.sendEvent("cancel-2", "paid", { ref: "r" });
    await engine.resume("cancel-2");
    const closed = await withConfig("cancel", "cancel-2");
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/\(EXECUTION_CLOSED\)\n$/);
  });

  it("terminate ends an execution at once and prints its status", async () => {
    await waitingOrder("terminate-1");
    const run = await withConfig("terminate", "terminate-1", "-r", "bad deploy", "--json");
    expect(JSON.parse(run.stdout)).toEqual({ executionId: "terminate-1", status: "terminated", terminated: true });
    const again = await withConfig("cancel", "terminate-1", "--json");
    expect(JSON.parse(again.stdout)).toEqual({ executionId: "terminate-1", cancelled: false, status: "terminated" });
    expect((await withConfig("cancel", "terminate-1")).stdout).toBe("terminate-1 is already terminated: nothing recorded\n");
    expect((await engine.describe("terminate-1")).status).toBe("terminated");
    expect((await withConfig("terminate", "no-such")).code).toBe(3);
  });
});

describe("spindle resume", () => {
  it("runs one turn here with the config's workflows", async () => {
    await engine.start(order, { orderId: "resume-1" }, { id: "resume-1" });
    const first = await withConfig("resume", "resume-1");
    expect(first).toEqual({ code: 0, stdout: "resume-1 is suspended (2 events appended; waits for event 'paid')\n", stderr: "" });
    await engine.sendEvent("resume-1", "paid", { ref: "r" });
    const second = await withConfig("resume", "resume-1", "--json");
    expect(JSON.parse(second.stdout)).toMatchObject({ executionId: "resume-1", status: "completed", appended: 3 });
    expect(await engine.result("resume-1")).toEqual({ status: "paid", ref: "r" });
  });

  it("exits 3 for an execution that does not exist", async () => {
    expect((await withConfig("resume", "no-such")).code).toBe(3);
  });

  it("exits 1 and does nothing while another process's turn holds the execution", async () => {
    await waitingOrder("resume-busy");
    await engine.sendEvent("resume-busy", "paid", { ref: "r" });
    const now = Date.now();
    await store.acquireLease!("resume-busy", { owner: "another-process", until: now + 60_000, now });
    const before = (await engine.describe("resume-busy")).historyLength;
    const run = await withConfig("resume", "resume-busy");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^spindle resume: resume-busy is held by another process's turn until \S+; nothing done, try again then\.\n$/);
    expect((await engine.describe("resume-busy")).historyLength).toBe(before);
  });
});

describe("spindle redrive", () => {
  it("reruns a failed execution's failed step with a fresh budget once the cause is fixed", async () => {
    await engine.start(flaky, undefined, { id: "redrive-1" });
    await engine.resume("redrive-1");
    expect((await engine.describe("redrive-1")).status).toBe("failed");
    charge.fixed = true;
    try {
      const run = await withConfig("redrive", "redrive-1", "--json");
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        executionId: "redrive-1",
        redriven: true,
        from: "failed",
        status: "running",
        rerun: { opId: "0", name: "charge" },
      });
      expect((await withConfig("resume", "redrive-1")).stdout).toMatch(/^redrive-1 is completed/);
      expect(await engine.result("redrive-1")).toBe("charged");
    } finally {
      charge.fixed = false;
    }
  });

  it("prints what it did in words, and refuses an execution that is neither stuck nor failed with exit 1", async () => {
    await engine.start(flaky, undefined, { id: "redrive-2" });
    await engine.resume("redrive-2");
    const run = await withConfig("redrive", "redrive-2");
    expect(run.stdout).toBe(
      "redrive-2 redriven from failed, now running; step 'charge' [0] runs again with a fresh attempt budget; its next turn runs it\n",
    );
    const refused = await withConfig("redrive", "redrive-2");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^spindle redrive: .*\(REDRIVE_REFUSED\)\n$/);
  });
});
