// The services an access request talks to, as in-memory stand-ins: a risk engine, the security team's and the
// managers' review queues (each review carries the callback token that answers it), the directory that grants
// access, and an append-only audit log. Writes are idempotent by the key the step passes, as they must be behind
// retried steps.

/** Data behind each resource: how sensitive it is. */
export const RESOURCES = {
  "wiki:read": 10,
  "ci-logs:read": 20,
  "prod-db:admin": 70,
  "payroll:export": 80,
} as const satisfies Record<string, number>;

export type Resource = keyof typeof RESOURCES;

/** What the requester asks for. */
export interface AccessRequest {
  requestId: string;
  user: string;
  resource: Resource;
  reason: string;
  contractor: boolean;
  manager: string;
}

export interface Risk {
  score: number;
  level: "low" | "high";
  reasons: string[];
}

/** A review waiting in a queue; completing `token` answers it. */
export interface Review {
  queue: "security" | "manager";
  requestId: string;
  user: string;
  resource: Resource;
  riskScore: number;
  reviewer?: string;
  token: string;
}

export interface AuditEntry {
  at: string;
  requestId: string;
  event: "risk-assessed" | "escalated" | "granted" | "rejected";
  detail: string;
}

/** Scores at or above this go to a human. */
export const HIGH_RISK = 50;

/** The access services. Create one per simulation or test with `createAccessServices`. */
export class AccessServices {
  readonly reviews: Review[] = [];
  readonly audit: AuditEntry[] = [];
  readonly grants = new Map<string, { user: string; resource: Resource }>();
  private readonly audited = new Set<string>();

  /** `now` stamps the audit log: the log keeps its own time, as a real one does. */
  constructor(private readonly now: () => Date) {}

  assessRisk(request: AccessRequest): Risk {
    const reasons = [`${request.resource} sensitivity ${RESOURCES[request.resource]}`];
    let score = RESOURCES[request.resource];
    if (request.contractor) {
      score += 15;
      reasons.push("contractor +15");
    }
    return { score, level: score >= HIGH_RISK ? "high" : "low", reasons };
  }

  requestReview(review: Review): void {
    this.reviews.push(review);
  }

  grant(request: AccessRequest): { grantId: string } {
    this.grants.set(request.requestId, { user: request.user, resource: request.resource });
    return { grantId: `grant-${request.requestId}` };
  }

  /** Appends to the audit log once per idempotency key. */
  record(entry: Omit<AuditEntry, "at">, idempotencyKey: string): void {
    if (this.audited.has(idempotencyKey)) return;
    this.audited.add(idempotencyKey);
    this.audit.push({ at: this.now().toISOString(), ...entry });
  }
}

/** Fresh services whose audit log reads `now`. */
export function createAccessServices(now: () => Date): AccessServices {
  return new AccessServices(now);
}
