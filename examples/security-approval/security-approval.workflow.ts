// An IT access request. A risk assessment decides the path: low risk is granted at once by policy; high risk waits
// for the security team's decision through a callback token (24 h), then escalates to the requester's manager (24 h
// more), and is rejected if nobody decides. Every decision goes to the audit log as a step, and the request's stage
// is published with setStatus, so `engine.describe(id).customStatus` answers "where is my request?".
// Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import type { WorkflowContext } from "../../src/index.js";
import { callback, setStatus, step, TimeoutError, workflow } from "../../src/index.js";
import type { AccessRequest, AccessServices, AuditEntry, Risk } from "./services.js";
import { RESOURCES } from "./services.js";

export { AccessServices, createAccessServices, HIGH_RISK, RESOURCES } from "./services.js";
export type { AccessRequest, AuditEntry, Resource, Review, Risk } from "./services.js";

/** How long each reviewer has. */
export const REVIEW_TIMEOUT = "24h";

const decision = z.object({ approved: z.boolean(), reviewer: z.string(), note: z.string().optional() });

/** What a reviewer sends back through the token. */
export type Decision = z.output<typeof decision>;

const request = z.object({
  requestId: z.string(),
  user: z.string(),
  resource: z.enum(Object.keys(RESOURCES) as [keyof typeof RESOURCES, ...(keyof typeof RESOURCES)[]]),
  reason: z.string(),
  contractor: z.boolean(),
  manager: z.string(),
});

const outcome = z.object({
  requestId: z.string(),
  decision: z.enum(["granted", "rejected"]),
  decidedBy: z.string(),
  riskScore: z.number(),
  note: z.string().optional(),
});

export type AccessOutcome = z.output<typeof outcome>;

/** The access-request workflow, bound to its services (create both per engine). */
export function accessRequestWorkflow(services: AccessServices) {
  return workflow(
    "security-approval",
    {
      input: request,
      output: outcome,
      // Checked by engine.completeCallback: a malformed decision is refused and the token stays valid.
      callbacks: { "security-review": decision, "manager-review": decision },
    },
    async function* (input, ctx) {
      yield* setStatus({ stage: "assessing-risk" });
      const risk = yield* step("assess-risk", () => services.assessRisk(input));
      ctx.log.info(`risk ${risk.score}: ${risk.level === "low" ? "low" : "high, needs a human decision"}`);
      yield* audit(services, input, "risk-assessed", `score ${risk.score} (${risk.reasons.join(", ")})`);
      if (risk.level === "low") return yield* decide(services, input, risk, { approved: true, reviewer: "policy" }, ctx);
      return yield* decide(services, input, risk, yield* review(services, input, risk, ctx), ctx);
    },
  );
}

/** The humans: the security team first, then the manager, then a default refusal. */
async function* review(services: AccessServices, input: AccessRequest, risk: Risk, ctx: WorkflowContext) {
  const ask = (queue: "security" | "manager", reviewer?: string) => (token: string) =>
    services.requestReview({
      queue,
      requestId: input.requestId,
      user: input.user,
      resource: input.resource,
      riskScore: risk.score,
      ...(reviewer ? { reviewer } : {}),
      token,
    });
  yield* setStatus({ stage: "awaiting-security", riskScore: risk.score });
  try {
    return yield* callback<Decision>("security-review", ask("security"), { timeout: REVIEW_TIMEOUT });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
  }
  ctx.log.info(`no security decision within ${REVIEW_TIMEOUT}: escalated to ${input.manager}`);
  yield* audit(services, input, "escalated", `no security decision within ${REVIEW_TIMEOUT}; sent to ${input.manager}`);
  yield* setStatus({ stage: "escalated", riskScore: risk.score, to: input.manager });
  try {
    return yield* callback<Decision>("manager-review", ask("manager", input.manager), { timeout: REVIEW_TIMEOUT });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    // Nobody answered in two days: access is refused, never granted by silence.
    return { approved: false, reviewer: "policy", note: "no decision within 48h" };
  }
}

/** Audits the decision, grants access when approved, and publishes the final stage. */
async function* decide(services: AccessServices, input: AccessRequest, risk: Risk, verdict: Decision, ctx: WorkflowContext) {
  const result = verdict.approved ? ("granted" as const) : ("rejected" as const);
  const note = verdict.note ? `: ${verdict.note}` : "";
  yield* audit(services, input, result, `by ${verdict.reviewer}${note}`);
  if (verdict.approved) yield* step("grant-access", () => services.grant(input));
  ctx.log.info(`${result} by ${verdict.reviewer}${note}`);
  yield* setStatus({ stage: result, by: verdict.reviewer });
  return {
    requestId: input.requestId,
    decision: result,
    decidedBy: verdict.reviewer,
    riskScore: risk.score,
    ...(verdict.note ? { note: verdict.note } : {}),
  };
}

function audit(services: AccessServices, input: AccessRequest, event: AuditEntry["event"], detail: string) {
  return step(`audit-${event}`, ({ idempotencyKey }) =>
    services.record({ requestId: input.requestId, event, detail }, idempotencyKey),
  );
}
