// The runner behind `npm run example`: `npm run example` runs the default example, `npm run example -- <name>` a named
// one, `npm run example -- --list` lists them. `--console` then keeps the example's engine alive and serves its
// executions in the Spindle console (add `--allow-actions` to act on them, `--port <n>` to choose the port, `--open`
// to open it in the browser) until Ctrl-C. To add an example, create examples/<name>/main.ts exporting `async function main()` (returning its
// engine and workflows as an ExampleRun, for --console) and add an entry to `examples` below.
import process from "node:process";
import { parseArgs } from "node:util";
import { startConsole } from "../src/console/index.js";
import type { ExampleRun } from "./support/example-run.js";

interface Example {
  name: string;
  description: string;
  /** Examples on DynamoDB Local stop it when they end: they return nothing for the console. */
  load: () => Promise<{ main: () => Promise<ExampleRun | void> }>;
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

const USAGE = "Usage: npm run example [-- <name> [--console [--allow-actions] [--port <n>] [--open]] | --list]";

async function run(args: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    console.error(`${(error as Error).message.split("\n")[0]} ${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.list) {
    list();
    return 0;
  }
  if (values.help) {
    console.log(USAGE);
    list();
    return 0;
  }
  if (positionals.length > 1 || (!values.console && (values["allow-actions"] || values.open || values.port !== undefined))) {
    console.error(`Unexpected arguments: ${args.join(" ")}. ${USAGE}`);
    return 2;
  }
  const name = positionals[0] ?? DEFAULT;
  const example = examples.find((candidate) => candidate.name === name);
  if (!example) {
    console.error(`No example named '${name}'.`);
    list();
    return 2;
  }
  const port = values.port === undefined ? 4300 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`--port must be a whole number from 0 to 65535, got '${values.port}'.`);
    return 2;
  }
  const module = await example.load();
  const ran = await module.main();
  if (!values.console) return 0;
  if (!ran) {
    console.error(`The ${name} example stops its DynamoDB Local when it ends, so it has nothing to show: --console works with the in-memory examples.`);
    return 2;
  }
  return serve(ran, { port, allowActions: values["allow-actions"] === true, open: values.open === true });
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      list: { type: "boolean", short: "l" },
      help: { type: "boolean", short: "h" },
      console: { type: "boolean" },
      "allow-actions": { type: "boolean" },
      open: { type: "boolean" },
      port: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** Serves the example's executions in the console until Ctrl-C (SIGINT) or SIGTERM. */
async function serve(ran: ExampleRun, options: { port: number; allowActions: boolean; open: boolean }): Promise<number> {
  // The handlers go in before the URL is printed: a signal that finds none kills the process at once.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  const running = await startConsole({ engine: ran.engine, workflows: ran.workflows, ...options });
  console.log(`\nSpindle console: ${running.url}  (${running.allowActions ? "actions allowed" : "read-only; add --allow-actions to act"}; Ctrl-C to stop)`);
  await stopped;
  await running.close();
  await ran.engine.close();
  return 0;
}

process.exitCode = await run(process.argv.slice(2));
