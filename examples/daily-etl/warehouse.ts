// The data platform the daily ETL talks to, in memory: a source that lists a day's partitions, a transform service
// that is throttled now and then (on a fixed plan, so every run of the example fails the same way), the warehouse
// tables the load writes, and the report channel. It counts transforms in flight so a test can check the bound.

/** The regions whose sales land in one partition each per day. */
export const REGIONS = ["eu-west", "eu-north", "us-east", "us-west", "ap-south", "sa-east"] as const;

/** One day's slice of raw data. */
export interface Partition {
  id: string;
  rawRows: number;
}

/** A partition after the transform. */
export interface Transformed {
  id: string;
  rows: number;
  rejected: number;
}

/** A throttling answer from the transform service: worth retrying. */
export class ThrottledError extends Error {
  override name = "ThrottledError";
}

export interface WarehouseOptions {
  /** Partition id -> how many attempts fail before one succeeds. */
  flaky?: Record<string, number>;
}

/** The default plan: two partitions of the first day and one of the second are throttled. */
export const FLAKY: Record<string, number> = {
  "2026-03-01/us-east": 1,
  "2026-03-01/ap-south": 2,
  "2026-03-02/eu-west": 1,
};

export class Warehouse {
  /** Attempts per partition id, failed ones included. */
  readonly attempts = new Map<string, number>();
  /** The most transforms that ever ran at once. */
  peakTransforms = 0;
  readonly tables = new Map<string, number>();
  readonly reports: string[] = [];
  private transforming = 0;
  private readonly flaky: Record<string, number>;

  constructor(options: WarehouseOptions) {
    this.flaky = options.flaky ?? FLAKY;
  }

  /** The day's partitions; the row counts are a fixed function of the id, as a real day's data is fixed. */
  listPartitions(date: string): Partition[] {
    return REGIONS.map((region) => {
      const id = `${date}/${region}`;
      return { id, rawRows: 1_000 + (checksum(id) % 9_000) };
    });
  }

  /** Cleans a partition: about 2% of rows are rejected. Throttled on the attempts the plan says. */
  async transform(partition: Partition, attempt: number): Promise<Transformed> {
    this.attempts.set(partition.id, attempt);
    this.transforming++;
    this.peakTransforms = Math.max(this.peakTransforms, this.transforming);
    try {
      // A real call takes a while; yielding to the event loop lets the other transforms in flight start.
      await new Promise((resolve) => setImmediate(resolve));
      if (attempt <= (this.flaky[partition.id] ?? 0)) throw new ThrottledError("429 throttled, slow down");
      const rejected = Math.floor(partition.rawRows / 50);
      return { id: partition.id, rows: partition.rawRows - rejected, rejected };
    } finally {
      this.transforming--;
    }
  }

  /** Replaces the day's table: loading the same day twice leaves one copy. */
  load(date: string, parts: readonly Transformed[]): { table: string; rows: number } {
    const table = `sales_${date.replaceAll("-", "")}`;
    const rows = parts.reduce((sum, part) => sum + part.rows, 0);
    this.tables.set(table, rows);
    return { table, rows };
  }

  publish(report: string): void {
    this.reports.push(report);
  }
}

export function createWarehouse(options: WarehouseOptions = {}): Warehouse {
  return new Warehouse(options);
}

function checksum(text: string): number {
  let sum = 0;
  for (const char of text) sum = (sum * 31 + char.charCodeAt(0)) >>> 0;
  return sum;
}
