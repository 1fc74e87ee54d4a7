// Checks template.yaml against the code it deploys: the table is the one createTable makes, the IAM policy grants
// exactly the DynamoDB operations the store's source sends, the HTTP routes are the ones http.ts documents, the SQS
// mapping reports batch item failures, the schedule ticks the function every minute, and the alarms are there.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import type { Tags } from "yaml";
import { parse } from "yaml";
import { ATTR, cloudFormationTable, tableDefinition } from "../../adapters/dynamodb/table.js";
import { operationOf } from "./meter.js";

/** CloudFormation's short-form functions, read as their long forms. */
const intrinsics: Tags = ["Ref", "Sub", "GetAtt", "If", "Not", "Equals", "Join", "Select"].flatMap((name) => {
  const key = name === "Ref" ? "Ref" : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: name === "GetAtt" ? value.split(".") : value }) },
    { tag: `!${name}`, collection: "seq" as const, resolve: (value: { toJSON(): unknown }) => ({ [key]: value.toJSON() }) },
  ];
});

type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed YAML document
const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
const template = parse(read("./template.yaml"), { customTags: intrinsics }) as Node;
const resources = template.Resources as Node;
const fn = resources.SpindleFunction as Node;
const events = Object.values(fn.Properties.Events as Node) as Node[];

describe("template.yaml: the table", () => {
  const table = resources.SpindleTable.Properties as Node;
  const definition = tableDefinition("any");
  const byName = <T extends { AttributeName?: string; IndexName?: string }>(list: readonly T[]) =>
    [...list].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));

  it("has the keys, indexes and billing mode of createTable's CreateTable input", () => {
    expect(table.BillingMode).toBe(definition.BillingMode);
    expect(table.KeySchema).toEqual(definition.KeySchema);
    expect(byName(table.AttributeDefinitions)).toEqual(byName(definition.AttributeDefinitions!));
    expect(byName(table.GlobalSecondaryIndexes)).toEqual(byName(definition.GlobalSecondaryIndexes!));
  });

  it("turns on TTL on the attribute createTable turns it on for, and matches cloudFormationTable() but for the name", () => {
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: ATTR.expiresAt, Enabled: true });
    const { TableName, ...published } = (parse(cloudFormationTable()) as Node).SpindleTable.Properties as Node;
    expect(TableName).toBe("spindle");
    expect(table).toEqual(published);
  });
});

describe("template.yaml: least privilege", () => {
  const storeDir = new URL("../../adapters/dynamodb/", import.meta.url);
  const files = readdirSync(storeDir).filter((file) => file.endsWith(".ts"));
  const sourceOf = (file: string) => readFileSync(new URL(file, storeDir), "utf8");
  /** `XxxCommand` names imported as values (not `import type`) from the AWS SDK, by file. */
  const commandsIn = (file: string) =>
    [...sourceOf(file).matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/(?:client-dynamodb|lib-dynamodb)"/g)]
      .flatMap((match) => match[1]!.split(","))
      .map((name) => name.trim())
      .filter((name) => name.endsWith("Command"));
  // createTable's commands run at deploy time, by whoever makes the table; here the stack makes it.
  const DEPLOY_TIME = new Set(["CreateTable", "DescribeTable", "UpdateTimeToLive"]);

  it("grants exactly the operations DynamoDBStore sends, with the actions inside its transactions", () => {
    const operations = new Set(files.flatMap(commandsIn).map(operationOf));
    expect(operations.has("Query")).toBe(true); // the scan found the store's imports at all
    const runtime = [...operations].filter((operation) => !DEPLOY_TIME.has(operation));
    // TransactWriteItems has no IAM action of its own: each action inside it needs its operation's permission.
    const transactionActions = new Set(
      files.flatMap((file) => [...sourceOf(file).matchAll(/\b(Put|Update|Delete|ConditionCheck):\s*[{\w]/g)].map((match) => `${match[1]}Item`)),
    );
    expect(transactionActions.size).toBeGreaterThan(0);
    const expected = new Set([...runtime.filter((operation) => operation !== "TransactWriteItems"), ...transactionActions]);

    const statements = (fn.Properties.Policies as Node[]).flatMap((policy) => (policy.Statement ?? []) as Node[]);
    const granted = statements.flatMap((statement) => [statement.Action].flat() as string[]).filter((action) => action.startsWith("dynamodb:"));
    expect(new Set(granted.map((action) => action.slice("dynamodb:".length)))).toEqual(expected);
    expect(granted).toHaveLength(expected.size); // no action twice
  });

  it("uses createTable's commands only in table.ts, so the function needs none of them", () => {
    for (const file of files.filter((name) => name !== "table.ts")) {
      expect(commandsIn(file).map(operationOf).filter((operation) => DEPLOY_TIME.has(operation)), file).toEqual([]);
    }
  });

  it("grants them on the table and its indexes only", () => {
    const statement = (fn.Properties.Policies as Node[]).flatMap((policy) => policy.Statement as Node[]).find((s) => s.Sid === "SpindleStore")!;
    expect(statement.Resource).toEqual([{ "Fn::GetAtt": ["SpindleTable", "Arn"] }, { "Fn::Sub": "${SpindleTable.Arn}/index/*" }]);
    expect(JSON.stringify(fn.Properties.Policies)).not.toMatch(/"dynamodb:\*"|"\*"/);
  });
});

describe("template.yaml: the function and what drives it", () => {
  it("bundles the example's handler with esbuild for Node 20 on arm64, with the table's name in TABLE_NAME", () => {
    const entry = fn.Metadata.BuildProperties.EntryPoints[0] as string;
    expect(fn.Metadata.BuildMethod).toBe("esbuild");
    expect(existsSync(new URL(`../../${entry}`, import.meta.url))).toBe(true);
    expect(fn.Properties.Handler).toBe(`${basename(entry, ".ts")}.handler`);
    expect(read("./handler.ts")).toMatch(/export const handler = /);
    expect(template.Globals.Function).toMatchObject({ Runtime: "nodejs20.x", Architectures: ["arm64"] });
    expect(fn.Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: "SpindleTable" });
  });

  it("ticks the function every minute from an EventBridge rule", () => {
    const schedules = events.filter((event) => event.Type === "Schedule");
    expect(schedules).toHaveLength(1);
    expect(schedules[0]!.Properties).toMatchObject({ Schedule: "rate(1 minute)", Enabled: true });
  });

  it("reads the resume queue with partial batch failures, the queue redriving to the dead-letter queue", () => {
    const sqs = events.filter((event) => event.Type === "SQS");
    expect(sqs).toHaveLength(1);
    expect(sqs[0]!.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(sqs[0]!.Properties.Queue).toEqual({ "Fn::GetAtt": ["ResumeQueue", "Arn"] });
    const queue = resources.ResumeQueue.Properties as Node;
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ "Fn::GetAtt": ["ResumeDeadLetterQueue", "Arn"] });
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
  });

  it("routes exactly the HTTP API routes http.ts documents, behind IAM auth", () => {
    const documented = [...read("../../adapters/lambda/http.ts").matchAll(/^\/\/\s+(GET|POST|PUT|DELETE)\s+(\/\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(documented.length).toBeGreaterThanOrEqual(6);
    const routed = events
      .filter((event) => event.Type === "HttpApi")
      .map((event) => {
        expect(event.Properties.ApiId).toEqual({ Ref: "HttpApi" });
        expect(event.Properties.PayloadFormatVersion).toBe("2.0");
        return `${event.Properties.Method} ${event.Properties.Path}`;
      });
    expect(routed.sort()).toEqual(documented.sort());
    expect(resources.HttpApi.Properties.Auth).toMatchObject({ DefaultAuthorizer: "AWS_IAM", EnableIamAuthorizer: true });
  });
});

describe("template.yaml: alarms", () => {
  const alarms = Object.values(resources).filter((resource: Node) => resource.Type === "AWS::CloudWatch::Alarm") as Node[];
  const watched = alarms.flatMap((alarm) => {
    const metrics = alarm.Properties.MetricName
      ? [{ Namespace: alarm.Properties.Namespace, MetricName: alarm.Properties.MetricName }]
      : (alarm.Properties.Metrics as Node[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric);
    return metrics.map((metric: Node) => `${metric.Namespace}/${metric.MetricName}`);
  });

  it("watch the function's errors, throttles and duration, the dead-letter queue, and DynamoDB's throttles and errors", () => {
    for (const metric of [
      "AWS/Lambda/Errors",
      "AWS/Lambda/Throttles",
      "AWS/Lambda/Duration",
      "AWS/SQS/ApproximateNumberOfMessagesVisible",
      "AWS/DynamoDB/ReadThrottleEvents",
      "AWS/DynamoDB/WriteThrottleEvents",
      "AWS/DynamoDB/SystemErrors",
    ]) {
      expect(watched).toContain(metric);
    }
    const dlq = alarms.find((alarm) => alarm.Properties.MetricName === "ApproximateNumberOfMessagesVisible")!;
    expect(dlq.Properties.Dimensions[0].Value).toEqual({ "Fn::GetAtt": ["ResumeDeadLetterQueue", "QueueName"] });
    expect(dlq.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: "GreaterThanThreshold" });
  });

  it("alarm on duration below the function's timeout, and notify the optional SNS topic", () => {
    const duration = alarms.find((alarm) => alarm.Properties.MetricName === "Duration")!;
    expect(duration.Properties.Threshold).toBeLessThan(fn.Properties.Timeout * 1000);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual({ "Fn::If": ["HasAlarmTopic", [{ Ref: "AlarmTopicArn" }], { Ref: "AWS::NoValue" }] });
    }
    expect(template.Parameters.AlarmTopicArn.Default).toBe("");
  });
});

describe("template.yaml: outputs", () => {
  it("give the API URL, the table and the queue", () => {
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(["ApiUrl", "TableName", "ResumeQueueUrl"]));
    expect(template.Outputs.TableName.Value).toEqual({ Ref: "SpindleTable" });
  });
});
