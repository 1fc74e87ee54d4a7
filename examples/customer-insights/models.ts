// The scoring models and the CRM the customer-insights workflow calls, in memory. The models are plain functions of
// the customer's aggregates (a real deployment would call an ML endpoint), so every run scores the same way.

/** What the workflow knows about a customer, carried from run to run by continueAsNew. */
export interface Aggregates {
  purchases: number;
  clicks: number;
  spend: number;
  /** Spend since the insights were last computed: scoring runs when it reaches the threshold. */
  spendSinceScoring: number;
  /** Purchases per category, for the next-best-offer model. */
  categories: Record<string, number>;
  scorings: number;
}

export interface Insights {
  churnRisk: number;
  lifetimeValue: number;
  nextOffer: string;
}

export const EMPTY: Aggregates = { purchases: 0, clicks: 0, spend: 0, spendSinceScoring: 0, categories: {}, scorings: 0 };

export class Models {
  /** Model calls, by model: a test counts them. */
  readonly calls: Record<"churn" | "lifetimeValue" | "nextOffer", number> = { churn: 0, lifetimeValue: 0, nextOffer: 0 };
  /** The CRM: the latest insights per customer. */
  readonly published = new Map<string, Insights>();

  churnRisk(a: Aggregates): number {
    this.calls.churn++;
    const engagement = a.purchases * 0.12 + a.clicks * 0.03;
    return Math.round(Math.max(0.05, 0.9 - engagement) * 100) / 100;
  }

  lifetimeValue(a: Aggregates): number {
    this.calls.lifetimeValue++;
    // A year of the customer's average order, at the observed purchase rate.
    return Math.round((a.spend / Math.max(1, a.purchases)) * (4 + a.purchases));
  }

  nextOffer(a: Aggregates): string {
    this.calls.nextOffer++;
    const favourite = Object.entries(a.categories).sort(([, x], [, y]) => y - x)[0]?.[0];
    return favourite ? `${favourite} accessories` : "welcome discount";
  }

  publish(customerId: string, insights: Insights): void {
    this.published.set(customerId, insights);
  }
}

export function createModels(): Models {
  return new Models();
}
