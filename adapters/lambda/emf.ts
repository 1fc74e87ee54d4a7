// A small CloudWatch Embedded Metric Format writer, for functions that do not use Powertools' Metrics: it stores
// metrics like Powertools does and writes them as one EMF JSON line per publish (at most 100 metrics and 100 values
// per metric in a line, as CloudWatch takes them). CloudWatch turns the line into metrics; nothing is called.
import { ValidationError } from "spindle";
import type { LambdaMetrics } from "./telemetry.js";

/**
 * Options of `emfMetrics`.
 *
 * @example
 * ```ts
 * const options: EmfMetricsOptions = { service: "orders", write: (line) => lines.push(line) };
 * ```
 */
export interface EmfMetricsOptions {
  /** Default `Spindle`. */
  namespace?: string;
  /** The value of the `service` dimension. Default: `POWERTOOLS_SERVICE_NAME`, else the function's name. */
  service?: string;
  /** Where a line goes. Default: stdout. */
  write?: (line: string) => void;
  /** Epoch ms of a line's metrics. Default: `Date.now`. */
  now?: () => number;
}

const MAX = 100;

/**
 * A metrics sink that writes CloudWatch EMF lines itself, for `createLambdaHandler(engine, { metrics })`.
 *
 * @example
 * ```ts
 * const metrics = emfMetrics({ service: "orders" });
 * export const handler = createLambdaHandler(engine, { metrics });
 * const store = new DynamoDBStore({ client, tableName, onRetry: () => metrics.addMetric("StoreRetries", "Count", 1) });
 * ```
 * @throws ValidationError for an empty namespace or service.
 */
export function emfMetrics(options: EmfMetricsOptions = {}): LambdaMetrics {
  const namespace = options.namespace ?? "Spindle";
  const service = options.service ?? process.env.POWERTOOLS_SERVICE_NAME ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? "spindle";
  if (namespace === "" || service === "") throw new ValidationError("emfMetrics: namespace and service must not be empty.");
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  let stored = new Map<string, { unit: string; values: number[] }>();

  const publish = () => {
    const entries = [...stored];
    stored = new Map();
    for (let start = 0; start < entries.length; start += MAX) {
      const chunk = entries.slice(start, start + MAX);
      const line: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [["service"]], Metrics: chunk.map(([name, { unit }]) => ({ Name: name, Unit: unit })) }],
        },
        service,
      };
      for (const [name, { values }] of chunk) line[name] = values.length === 1 ? values[0] : values;
      write(JSON.stringify(line));
    }
  };

  return {
    addMetric(name, unit, value) {
      if (!Number.isFinite(value)) return;
      const metric = stored.get(name) ?? { unit, values: [] };
      stored.set(name, metric);
      metric.values.push(value);
      if (metric.values.length >= MAX) publish();
    },
    publishStoredMetrics() {
      if (stored.size > 0) publish();
    },
  };
}
