// The runner behind `npm run example`: `npm run example` runs the default example, `npm run example -- <name>` a named
// one, `npm run example -- --list` lists them. To add an example, create examples/<name>/main.ts exporting
// `async function main()` and add an entry to `examples` below.
import process from "node:process";

interface Example {
  name: string;
  description: string;
  load: () => Promise<{ main: () => Promise<void> }>;
}

/** Every example, the default first. */
const examples: readonly Example[] = [
  {
    name: "serverlesspresso",
    description: "a coffee shop, one workflow per order: shared capacity, a 5 min submit timeout, barista callbacks, cancellation",
    load: () => import("./serverlesspresso/main.js"),
  },
  {
    name: "security-approval",
    description: "an IT access request: risk check, security review by callback (24h), escalation, audit, describe()",
    load: () => import("./security-approval/main.js"),
  },
  {
    name: "daily-etl",
    description: "a nightly pipeline: a cron schedule in a time zone, one run per night, each a DAG of retried tasks, 3 at a time",
    load: () => import("./daily-etl/main.js"),
  },
  {
    name: "airflow-migration",
    description: "an Airflow DAG in Spindle: a daily cron schedule, a sensor-style wait, a dag with a branch and a one-failed alert",
    load: () => import("./airflow-migration/main.js"),
  },
  {
    name: "customer-insights",
    description: "a long-lived workflow per customer: events before the wait, duplicates dropped, fan-out scoring, continueAsNew",
    load: () => import("./customer-insights/main.js"),
  },
  {
    name: "order-saga",
    description: "reserve, charge, ship with compensations in reverse; TerminalError versus retried failures",
    load: () => import("./order-saga/main.js"),
  },
  {
    name: "order",
    description: "payment wait with a 24h timeout, a retried capture, a cancellation window with a refund",
    load: () => import("./order/main.js"),
  },
  {
    name: "dynamodb-local",
    description: "orders on DynamoDBStore against DynamoDB Local (needs Java 17+): events, timers, two engines, the key layout",
    load: () => import("./dynamodb-local/main.js"),
  },
  {
    name: "lambda-dynamodb",
    description: "the access desk as a Lambda function on DynamoDB Local: HTTP API, schedule ticks, SQS, direct calls; cost per step",
    load: () => import("./lambda-dynamodb/main.js"),
  },
];

const DEFAULT = "serverlesspresso";

function list(): void {
  console.log("Examples (npm run example -- <name>):");
  const width = Math.max(...examples.map((example) => example.name.length));
  for (const example of examples) {
    const marker = example.name === DEFAULT ? " (default)" : "";
    console.log(`  ${example.name.padEnd(width)}  ${example.description}${marker}`);
  }
}

async function run(args: readonly string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === "--list" || first === "-l") {
    list();
    return 0;
  }
  if (first === "--help" || first === "-h") {
    console.log("Usage: npm run example [-- <name> | --list]");
    list();
    return 0;
  }
  if (rest.length > 0 || first?.startsWith("-")) {
    console.error(`Unexpected arguments: ${args.join(" ")}. Usage: npm run example [-- <name> | --list]`);
    return 2;
  }
  const name = first ?? DEFAULT;
  const example = examples.find((candidate) => candidate.name === name);
  if (!example) {
    console.error(`No example named '${name}'.`);
    list();
    return 2;
  }
  const module = await example.load();
  await module.main();
  return 0;
}

process.exitCode = await run(process.argv.slice(2));
