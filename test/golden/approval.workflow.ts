// A workflow whose recorded history is kept in approval.history.json: the golden-history test replays that file
// against this code on every run, so a change here that would break executions in flight fails CI.
import { z } from "zod";
import { now, setStatus, sleep, step, workflow } from "spindle";

export const approval = workflow(
  "approval",
  {
    input: z.object({ requestId: z.string(), amount: z.number() }),
    events: { decision: z.object({ approved: z.boolean(), by: z.string() }) },
  },
  async function* (input, ctx) {
    const risk = yield* step("assess-risk", () => (input.amount > 1000 ? "high" : "low"));
    yield* setStatus({ stage: "awaiting-decision", risk });
    const decision = yield* ctx.waitForEvent("decision", { timeout: "24h" });
    yield* sleep("cool-off", "1h");
    const decidedAt = yield* now();
    yield* step("audit", () => ({ requestId: input.requestId, approved: decision.approved }), {
      retry: { maxAttempts: 2 },
    });
    return { approved: decision.approved, by: decision.by, risk, decidedAt: decidedAt.toISOString() };
  },
);
