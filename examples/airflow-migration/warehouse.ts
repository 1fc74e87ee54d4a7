// The in-memory services the sales-report workflow calls: the export files a shop system drops each morning, a CRM
// that maps customers to regions (and is sometimes down), the warehouse tables, and the on-call pager.

export type Region = "north" | "south" | "other";

/** One row of a day's export. An order can appear twice when the export job retried. */
export interface Order {
  id: string;
  customer: string;
  amount: number;
}

/** Raised by the CRM while it is down: a plain error, so the task retries it. */
export class CrmUnavailableError extends Error {
  override readonly name = "CrmUnavailableError";
}

export interface WarehouseOptions {
  /** Customer to region, as the CRM knows them. */
  customers?: Record<string, Region>;
}

export interface Warehouse {
  /** Export files by path, as the shop system drops them. */
  readonly exports: Map<string, Order[]>;
  /** While true, every CRM call fails. */
  crmDown: boolean;
  /** Loaded days: revenue by region. */
  readonly tables: Map<string, Partial<Record<Region, number>>>;
  /** Quarantined days and their duplicate counts. */
  readonly quarantined: Map<string, number>;
  /** Pages sent to on-call. */
  readonly pages: string[];
  /** CRM calls made, failed ones included. */
  crmCalls: number;
  extract(path: string): Order[];
  regionsOf(customers: readonly string[]): Record<string, Region>;
  load(day: string, revenue: Partial<Record<Region, number>>): { rows: number; revenue: number };
  quarantine(day: string, duplicates: number): { duplicates: number };
  page(message: string): string;
}

const DEFAULT_CUSTOMERS: Record<string, Region> = { ada: "north", bo: "south", cy: "north", dee: "south" };

export function createWarehouse(options: WarehouseOptions = {}): Warehouse {
  const customers = options.customers ?? DEFAULT_CUSTOMERS;
  const warehouse: Warehouse = {
    exports: new Map(),
    crmDown: false,
    tables: new Map(),
    quarantined: new Map(),
    pages: [],
    crmCalls: 0,
    extract(path) {
      const rows = warehouse.exports.get(path);
      if (!rows) throw new Error(`no export at ${path}`);
      return rows.map((row) => ({ ...row }));
    },
    regionsOf(names) {
      warehouse.crmCalls += 1;
      if (warehouse.crmDown) throw new CrmUnavailableError("CRM unavailable (503)");
      return Object.fromEntries(names.map((name) => [name, customers[name] ?? "other"]));
    },
    load(day, revenue) {
      warehouse.tables.set(day, { ...revenue });
      const values = Object.values(revenue);
      return { rows: values.length, revenue: values.reduce((sum, amount) => sum + amount, 0) };
    },
    quarantine(day, duplicates) {
      warehouse.quarantined.set(day, duplicates);
      return { duplicates };
    },
    page(message) {
      warehouse.pages.push(message);
      return message;
    },
  };
  return warehouse;
}
