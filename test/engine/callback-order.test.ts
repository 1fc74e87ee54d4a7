// A callback's completion can arrive before its send step has succeeded: the send delivered the token and then failed
// (a timeout after the request went out), so the completer answers while the send waits for its retry. The
// completion is kept and taken once the send succeeds; the turn never spins on it.
import { describe, expect, it } from "vitest";
import { callback, workflow } from "spindle";
import { createTestEngine } from "spindle/testing";

describe("callback completed while its send step waits for a retry", () => {
  it("delivers the completion after the send's retry succeeds, without spinning", async () => {
    let t: ReturnType<typeof createTestEngine>;
    let attempts = 0;
    const wf = workflow("early-completion", async function* () {
      return yield* callback<string>(
        "approve",
        async (token) => {
          attempts += 1;
          if (attempts === 1) {
            await t.completeCallback(token, "yes");
            throw new Error("the request timed out after it went out");
          }
        },
        { retry: { maxAttempts: 3, initialInterval: "1m" }, timeout: "1h" },
      );
    });
    t = createTestEngine({ workflows: [wf] });
    const run = await t.start(wf, undefined);
    expect(await run.result()).toBe("yes");
    expect(attempts).toBe(2);
  });
});
