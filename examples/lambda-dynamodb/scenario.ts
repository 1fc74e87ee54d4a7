// The access desk in Lambda, played locally against DynamoDB Local: this script is API Gateway (HTTP API requests
// from the desk's front end and the reviewers' links), EventBridge (a tick every minute), SQS (a batch of resume
// messages) and an operator (a direct invocation), and every one of them reaches the function only as the event AWS
// would send. The engine's clock is virtual, so two days of waiting take no real time, and each invocation gets a
// Lambda context of 60 s on that clock.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HttpResponse, SqsBatchResponse } from "../../adapters/lambda/index.js";
import type { ExecutionDescription, HistoryEvent, Logger } from "../../src/index.js";
import { silentLogger } from "../../src/index.js";
import { VirtualClock } from "../../src/testing/index.js";
import type { AccessRequest, AuditEntry, Decision } from "../security-approval/security-approval.workflow.js";
import { createAccessServices } from "../security-approval/security-approval.workflow.js";
import { createNarrator } from "../support/narrate.js";
import type { AccessDesk } from "./app.js";
import { createAccessDesk } from "./app.js";
import { httpRequest, invocationContext, scheduleTick, sqsBatch } from "./aws-events.js";
import type { Usage } from "./meter.js";
import { formatUsage, Meter } from "./meter.js";

/** Monday 09:00 UTC. */
export const START = Date.parse("2026-03-02T09:00:00Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The three requests: seconds after START, and what is asked. Odd seconds, so the wake-up lag of a tick shows. */
export const REQUESTS: readonly { at: number; request: AccessRequest }[] = [
  { at: 12, request: { requestId: "access-201", user: "ana", resource: "wiki:read", reason: "onboarding", contractor: false, manager: "maria" } },
  { at: 4 * 60 + 40, request: { requestId: "access-202", user: "ben", resource: "prod-db:admin", reason: "on-call", contractor: false, manager: "maria" } },
  { at: 10 * 60 + 30, request: { requestId: "access-203", user: "cleo", resource: "payroll:export", reason: "audit prep", contractor: true, manager: "maria" } },
];

/** One invocation of the function: what came in, what went out, and what it cost in DynamoDB. */
export interface Invocation {
  at: number;
  source: "http" | "schedule" | "sqs" | "direct";
  request: string;
  response: unknown;
  usage: Usage;
}

/** What the run leaves for main.ts and the test to look at. */
export interface ScenarioOutcome {
  invocations: Invocation[];
  executions: Record<string, ExecutionDescription>;
  audit: AuditEntry[];
  /** Reviews requested, in order: queue and request. */
  reviews: { queue: string; requestId: string }[];
  /** The history of the escalated request, as the table holds it. */
  history: HistoryEvent[];
  /** The handler's JSON log lines. */
  logLines: Record<string, unknown>[];
  /** Schedule ticks that found nothing due and were skipped by the script (counted, not invoked). */
  quietTicks: number;
  /** When the escalation timer was due, and when the tick that ran it came. */
  escalation: { dueAt: number; ranAt: number };
  /** DynamoDB use of the whole run. */
  total: Usage;
}

/** Runs the scenario on `tableName` (which must exist); with `narrate`, prints each invocation as it happens. */
export async function runScenario(options: { client: DynamoDBClient; tableName: string; narrate: boolean }): Promise<ScenarioOutcome> {
  const clock = new VirtualClock(START);
  const meter = new Meter(options.client);
  const narrator = options.narrate ? createNarrator(() => new Date(clock.now()), 12) : undefined;
  const say = narrator?.say ?? (() => {});
  const logger: Logger = narrator?.logger ?? silentLogger;
  const services = createAccessServices(() => new Date(clock.now()));
  const logLines: Record<string, unknown>[] = [];
  const desk: AccessDesk = createAccessDesk({
    client: options.client,
    tableName: options.tableName,
    services,
    clock,
    logger,
    log: (line) => {
      logLines.push(line);
      if (options.narrate) console.log(`${" ".repeat(33)}log ${JSON.stringify(line)}`);
    },
  });
  const invocations: Invocation[] = [];
  const start = meter.snapshot();

  /** One invocation: the event goes in, the answer comes out, both narrated with what DynamoDB was asked. */
  const invoke = async (source: Invocation["source"], who: string, request: string, event: unknown): Promise<unknown> => {
    say(who, `-> ${request}`);
    const before = meter.snapshot();
    const response = await desk.handler(event, invocationContext(clock));
    const usage = meter.since(before);
    invocations.push({ at: clock.now(), source, request, response, usage });
    say("", `<- ${summarize(response)}`);
    say("", `   DynamoDB: ${formatUsage(usage)}`);
    return response;
  };
  const http = async (who: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const shown = `${method} ${path}${body === undefined ? "" : ` ${typeof body === "string" ? body : JSON.stringify(body)}`}`;
    const response = (await invoke("http", who, shown, httpRequest(method, path, body, headers, clock.now()))) as HttpResponse;
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  };
  const tick = () => invoke("schedule", "eventbridge", "tick (rate 1 minute)", scheduleTick(clock.now()));
  const reviewToken = (queue: "security" | "manager", requestId: string) => {
    const review = services.reviews.find((r) => r.queue === queue && r.requestId === requestId);
    if (!review) throw new Error(`No ${queue} review of ${requestId} was requested: the scenario is out of step.`);
    return review.token;
  };
  const decide = (queue: "security" | "manager", requestId: string, decision: Decision) =>
    http(decision.reviewer.split(" ")[0]!, "POST", `/callbacks/${encodeURIComponent(reviewToken(queue, requestId))}/complete`, decision);

  // EventBridge: a tick on every minute. The script skips the ticks that would find nothing due (it asks describe()
  // for the wake-up times of the requests it made), so two days take a handful of invocations, not 2,900.
  let quietTicks = 0;
  let nextTick = START + MINUTE;
  const open = new Set<string>();
  const advanceTo = async (time: number) => {
    while (nextTick <= time) {
      const wakeUps = await Promise.all([...open].map(async (id) => (await desk.engine.describe(id)).wakeAt?.getTime()));
      const earliest = Math.min(...wakeUps.filter((at): at is number => at !== undefined));
      if (earliest > nextTick) {
        // Jump over the quiet ticks to the first one at or after the earliest wake-up (or past `time`).
        const firstUseful = Number.isFinite(earliest) ? Math.ceil(earliest / MINUTE) * MINUTE : Infinity;
        const jumpTo = Math.min(firstUseful, Math.ceil((time + 1) / MINUTE) * MINUTE);
        quietTicks += (jumpTo - nextTick) / MINUTE;
        nextTick = jumpTo;
        continue;
      }
      clock.set(nextTick);
      await tick();
      nextTick += MINUTE;
    }
    clock.set(time);
  };

  // Monday morning: three requests from the desk's front end.
  for (const { at, request } of REQUESTS) {
    await advanceTo(START + at * 1000);
    const started = await http(request.user, "POST", "/executions", { workflow: desk.workflowName, id: request.requestId, input: request });
    if (started.body.status !== "completed") open.add(request.requestId);
    if (request.user === "ben") {
      // The front end lost the answer and sends the same request again: same id, so nothing new starts.
      await http("ben", "POST", "/executions", { workflow: desk.workflowName, id: request.requestId, input: request });
    }
  }
  // A tick that finds nothing due: the two open requests wait for people, not for the clock, until tomorrow.
  clock.set(nextTick);
  await tick();
  nextTick += MINUTE;

  await advanceTo(START + 1 * HOUR);
  await http("dashboard", "GET", "/executions/access-202");

  await advanceTo(START + 3 * HOUR + 5 * MINUTE);
  await decide("security", "access-202", { approved: true, reviewer: "sam (security)" });
  open.delete("access-202");
  // A reviewer's client sends a malformed decision: refused, nothing stored, the token still answers later.
  await http("sam", "POST", `/callbacks/${encodeURIComponent(reviewToken("security", "access-203"))}/complete`, { approved: "maybe" });

  // Tuesday: nobody from security answered access-203; the 24 h timer wakes it at the first tick after it is due.
  const dueAt = (await desk.engine.describe("access-203")).wakeAt!.getTime();
  await advanceTo(START + 24 * HOUR + 20 * MINUTE);
  const ranAt = invocations.find((i) => i.source === "schedule" && (i.response as { resumed?: number }).resumed === 1)?.at ?? Number.NaN;

  // A retry queue delivers two messages: a resume request (harmless: the turn finds nothing new) and a garbled one,
  // which the function hands back so that SQS redelivers it and, after five receives, parks it in the DLQ.
  await advanceTo(START + 24 * HOUR + 30 * MINUTE);
  await invoke("sqs", "sqs", "batch [{executionId: access-203}, <garbled>]", sqsBatch([JSON.stringify({ executionId: "access-203" }), "{executionId"], clock.now()));

  await advanceTo(START + 26 * HOUR);
  await decide("manager", "access-203", { approved: false, reviewer: "maria", note: "payroll exports go through finance" });
  open.delete("access-203");

  // An operator script invokes the function directly (aws lambda invoke --payload ...).
  await invoke("direct", "operator", '{"action":"describe","executionId":"access-203"}', { action: "describe", executionId: "access-203" });

  const executions: Record<string, ExecutionDescription> = {};
  for (const { request } of REQUESTS) executions[request.requestId] = await desk.engine.describe(request.requestId);
  const outcome: ScenarioOutcome = {
    invocations,
    executions,
    audit: services.audit,
    reviews: services.reviews.map((review) => ({ queue: review.queue, requestId: review.requestId })),
    history: await desk.engine.history("access-203"),
    logLines,
    quietTicks,
    escalation: { dueAt, ranAt },
    total: meter.since(start),
  };
  await desk.engine.close();
  return outcome;
}

/** A response, shortened for a console line. */
function summarize(response: unknown): string {
  const http = response as Partial<HttpResponse>;
  if (typeof http.statusCode === "number" && typeof http.body === "string") {
    const location = http.headers?.location ? `  Location: ${http.headers.location}` : "";
    return `${http.statusCode} ${clip(http.body)}${location}`;
  }
  const sqs = response as Partial<SqsBatchResponse>;
  if (Array.isArray(sqs.batchItemFailures)) return JSON.stringify(sqs);
  return clip(JSON.stringify(response));
}

function clip(text: string, max = 150): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
