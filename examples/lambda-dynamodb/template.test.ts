// Checks template.yaml against the code it deploys and against cfn-lint: the table is the one createTable makes, the
// IAM policy grants exactly the DynamoDB operations the store's source sends (and the SQS and X-Ray actions the
// function needs), the HTTP routes are the ones http.ts documents, the SQS mapping reports batch item failures, the
// schedule ticks the function every minute, and the alarms and the dashboard watch Spindle's metrics and the services.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Tags } from "yaml";
import { parse } from "yaml";
import { ATTR, cloudFormationTable, tableDefinition } from "../../adapters/dynamodb/table.js";
import { METRIC } from "../../adapters/lambda/index.js";
import { HANDLER_OPTIONS } from "./app.js";
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

const parameters = template.Parameters as Node;
const statements = (fn.Properties.Policies as Node[]).flatMap((policy) => (policy.Statement ?? []) as Node[]);
const actionsOf = (statement: Node) => [statement.Action].flat() as string[];
const granted = (service: string) => statements.flatMap(actionsOf).filter((action) => action.startsWith(`${service}:`));

const storeDir = new URL("../../adapters/dynamodb/", import.meta.url);
const files = readdirSync(storeDir).filter((file) => file.endsWith(".ts"));
const sourceOf = (file: string) => readFileSync(new URL(file, storeDir), "utf8");
/** `XxxCommand` names imported as values (not `import type`) from an AWS SDK package, in one source text. */
const commandsIn = (source: string, packages: string) =>
  [...source.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*"@aws-sdk\\/(?:${packages})"`, "g"))]
    .flatMap((match) => match[1]!.split(","))
    .map((name) => name.trim())
    .filter((name) => name.endsWith("Command"));
const storeCommandsIn = (file: string) => commandsIn(sourceOf(file), "client-dynamodb|lib-dynamodb");
// createTable's commands run at deploy time, by whoever makes the table; here the stack makes it.
const DEPLOY_TIME = new Set(["CreateTable", "DescribeTable", "UpdateTimeToLive"]);
/** The DynamoDB operations the store sends at run time (TransactWriteItems included). */
const storeOperations = [...new Set(files.flatMap(storeCommandsIn).map(operationOf))].filter((operation) => !DEPLOY_TIME.has(operation));

/** cfn-lint's version, or undefined when it is not on the PATH. */
const cfnLint = (() => {
  const probe = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
  return probe.error || probe.status !== 0 ? undefined : probe.stdout.trim();
})();

describe("template.yaml: cfn-lint", () => {
  it.skipIf(cfnLint === undefined)(
    `reports no error, warning or informational finding (${cfnLint ?? "skipped: cfn-lint is not on the PATH; pip install cfn-lint"})`,
    () => {
      const run = spawnSync("cfn-lint", ["--format", "json", fileURLToPath(new URL("./template.yaml", import.meta.url))], { encoding: "utf8" });
      expect(run.error).toBeUndefined();
      const findings = (JSON.parse(run.stdout || "[]") as Node[]).map(
        (finding) => `${finding.Level} ${finding.Rule.Id} line ${finding.Location.Start.LineNumber}: ${finding.Message}`,
      );
      expect(findings).toEqual([]);
      expect(run.status, run.stderr).toBe(0);
    },
    60_000,
  );
});

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

  it("turns on TTL on the attribute createTable turns it on for, and matches cloudFormationTable() but for the name and deletion protection", () => {
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: ATTR.expiresAt, Enabled: true });
    const { TableName, ...published } = (parse(cloudFormationTable()) as Node).SpindleTable.Properties as Node;
    expect(TableName).toBe("spindle");
    const { DeletionProtectionEnabled, ...rest } = table;
    expect(DeletionProtectionEnabled).toBe(true);
    expect(rest).toEqual(published);
    expect(resources.SpindleTable).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
  });
});

describe("template.yaml: least privilege", () => {
  it("grants exactly the operations DynamoDBStore sends, with the actions inside its transactions", () => {
    expect(storeOperations).toContain("Query"); // the scan found the store's imports at all
    // TransactWriteItems has no IAM action of its own: each action inside it needs its operation's permission.
    const transactionActions = new Set(
      files.flatMap((file) => [...sourceOf(file).matchAll(/\b(Put|Update|Delete|ConditionCheck):\s*[{\w]/g)].map((match) => `${match[1]}Item`)),
    );
    expect(transactionActions.size).toBeGreaterThan(0);
    const expected = new Set([...storeOperations.filter((operation) => operation !== "TransactWriteItems"), ...transactionActions]);

    const dynamodb = granted("dynamodb");
    expect(new Set(dynamodb.map((action) => action.slice("dynamodb:".length)))).toEqual(expected);
    expect(dynamodb).toHaveLength(expected.size); // no action twice
  });

  it("uses createTable's commands only in table.ts, so the function needs none of them", () => {
    for (const file of files.filter((name) => name !== "table.ts")) {
      expect(storeCommandsIn(file).map(operationOf).filter((operation) => DEPLOY_TIME.has(operation)), file).toEqual([]);
    }
  });

  it("grants them on the table and its indexes only", () => {
    const statement = statements.find((s) => s.Sid === "SpindleStore")!;
    expect(statement.Resource).toEqual([{ "Fn::GetAtt": ["SpindleTable", "Arn"] }, { "Fn::Sub": "${SpindleTable.Arn}/index/*" }]);
  });

  it("lets scheduleWakeup send to the resume queue, and grants every SQS command the function's code imports", () => {
    const wakeup = statements.find((s) => s.Sid === "ScheduleWakeup")!;
    expect(actionsOf(wakeup)).toEqual(["sqs:SendMessage"]);
    expect(wakeup.Resource).toEqual([{ "Fn::GetAtt": ["ResumeQueue", "Arn"] }]);
    expect(fn.Properties.Environment.Variables.RESUME_QUEUE_URL).toEqual({ Ref: "ResumeQueue" });
    const functionSources = [
      ...readdirSync(new URL("./", import.meta.url)).filter((file) => /^[\w-]+\.ts$/.test(file) && !file.endsWith(".test.ts")).map((file) => read(`./${file}`)),
      ...readdirSync(new URL("../../adapters/lambda/", import.meta.url)).filter((file) => file.endsWith(".ts")).map((file) => read(`../../adapters/lambda/${file}`)),
    ];
    const sqsActions = functionSources.flatMap((source) => commandsIn(source, "client-sqs")).map((name) => `sqs:${name.replace(/Command$/, "")}`);
    for (const action of sqsActions) expect(granted("sqs")).toContain(action);
  });

  it("grants the X-Ray actions tracing sends segments with, and nothing else on every resource", () => {
    expect(fn.Properties.Tracing).toBe("Active");
    const xray = statements.find((s) => s.Sid === "XRayTracing")!;
    expect(new Set(actionsOf(xray))).toEqual(new Set(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]));
    for (const statement of statements) {
      expect(actionsOf(statement).filter((action) => action === "*" || action.endsWith(":*")), statement.Sid).toEqual([]);
      if (statement.Sid !== "XRayTracing") expect(JSON.stringify(statement.Resource), statement.Sid).not.toMatch(/"\*"/);
    }
  });
});

describe("template.yaml: the function and what drives it", () => {
  it("bundles the example's handler with esbuild for the function's Node runtime (22 or later) on arm64", () => {
    const entry = fn.Metadata.BuildProperties.EntryPoints[0] as string;
    expect(fn.Metadata.BuildMethod).toBe("esbuild");
    expect(existsSync(new URL(`../../${entry}`, import.meta.url))).toBe(true);
    expect(fn.Properties.Handler).toBe(`${basename(entry, ".ts")}.handler`);
    expect(read("./handler.ts")).toMatch(/export const handler = /);
    const runtime = template.Globals.Function.Runtime as string;
    expect(["nodejs22.x", "nodejs24.x"]).toContain(runtime);
    expect(fn.Metadata.BuildProperties.Target).toBe(runtime.replace(/^nodejs(\d+)\.x$/, "node$1"));
    expect(template.Globals.Function.Architectures).toEqual(["arm64"]);
  });

  it("installs the dev dependencies the handler imports before bundling (npm ci, not npm install --omit=dev)", () => {
    const manifest = JSON.parse(read("../../package.json")) as Node;
    /** The packages a source imports from (bare specifiers, without node: built-ins and relative paths). */
    const bare = (source: string) =>
      [...source.matchAll(/^import\s[^;]*?from\s+"((?:@[\w.-]+\/)?[\w.-]+)[^"]*";/gm)]
        .map((match) => match[1]!)
        .filter((name) => !name.startsWith("node:") && !name.startsWith("."));
    const imported = new Set(["./handler.ts", "./app.ts"].flatMap((file) => bare(read(file))));
    expect(imported).toContain("@aws-sdk/client-dynamodb");
    for (const name of imported) expect({ ...manifest.dependencies, ...manifest.devDependencies }, name).toHaveProperty([name]);
    if ([...imported].some((name) => !(name in manifest.dependencies))) expect(fn.Metadata.BuildProperties.UseNpmCi).toBe(true);
  });

  it("gives the function its table, resume queue, retention and Powertools settings in the environment", () => {
    expect(fn.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: "SpindleTable" },
      RESUME_QUEUE_URL: { Ref: "ResumeQueue" },
      RETENTION_DAYS: { Ref: "RetentionDays" },
      POWERTOOLS_SERVICE_NAME: "spindle-example",
      POWERTOOLS_METRICS_NAMESPACE: "Spindle",
      POWERTOOLS_LOG_LEVEL: "INFO",
    });
    expect(parameters.RetentionDays).toMatchObject({ Type: "Number", Default: 30 });
  });

  it("logs JSON lines, filtered by level, to a log group with a retention", () => {
    expect(fn.Properties.LoggingConfig).toMatchObject({ LogGroup: { Ref: "FunctionLogGroup" }, LogFormat: "JSON", ApplicationLogLevel: "INFO" });
    expect(fn.Properties.LoggingConfig.SystemLogLevel).toBeDefined();
    expect(resources.FunctionLogGroup.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it("sends asynchronous invocations that failed to a queue of their own", () => {
    const config = fn.Properties.EventInvokeConfig as Node;
    expect(config.DestinationConfig.OnFailure).toEqual({ Type: "SQS", Destination: { "Fn::GetAtt": ["AsyncFailureQueue", "Arn"] } });
    expect(resources.AsyncFailureQueue.Type).toBe("AWS::SQS::Queue");
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

  it("keeps every queue's messages for an explicit period, the dead-letter queue's longer than its source's", () => {
    const queues = Object.values(resources).filter((resource: Node) => resource.Type === "AWS::SQS::Queue") as Node[];
    expect(queues.length).toBeGreaterThanOrEqual(3);
    for (const queue of queues) expect(queue.Properties.MessageRetentionPeriod).toBeGreaterThanOrEqual(15 * 60); // a wake-up's longest delay
    expect(resources.ResumeDeadLetterQueue.Properties.MessageRetentionPeriod).toBeGreaterThan(resources.ResumeQueue.Properties.MessageRetentionPeriod);
  });

  it("routes exactly the HTTP API routes http.ts documents, behind IAM auth, throttled, with access logs", () => {
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
    const api = resources.HttpApi.Properties as Node;
    expect(api.Auth).toMatchObject({ DefaultAuthorizer: "AWS_IAM", EnableIamAuthorizer: true });
    expect(api.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    expect(api.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(api.AccessLogSettings.DestinationArn).toEqual({ "Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"] });
    expect(JSON.parse(api.AccessLogSettings.Format)).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
    expect(resources.HttpApiAccessLogGroup.Properties.RetentionInDays).toBeGreaterThan(0);
  });
});

describe("template.yaml: alarms", () => {
  const alarms = Object.values(resources).filter((resource: Node) => resource.Type === "AWS::CloudWatch::Alarm") as Node[];
  const metricsOf = (alarm: Node): Node[] =>
    alarm.Properties.MetricName
      ? [{ Namespace: alarm.Properties.Namespace, MetricName: alarm.Properties.MetricName, Dimensions: alarm.Properties.Dimensions }]
      : (alarm.Properties.Metrics as Node[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric);
  const watched = alarms.flatMap((alarm) => metricsOf(alarm).map((metric) => `${metric.Namespace}/${metric.MetricName}`));
  const spindleAlarm = (name: string) => alarms.find((alarm) => alarm.Properties.Namespace === "Spindle" && alarm.Properties.MetricName === name)!.Properties;
  const variables = fn.Properties.Environment.Variables as Node;

  it("watch the function's errors, throttles and duration, the queues, and DynamoDB's throttles and errors", () => {
    for (const metric of [
      "AWS/Lambda/Errors",
      "AWS/Lambda/Throttles",
      "AWS/Lambda/Duration",
      "AWS/SQS/ApproximateNumberOfMessagesVisible",
      "AWS/SQS/ApproximateAgeOfOldestMessage",
      "AWS/DynamoDB/ReadThrottleEvents",
      "AWS/DynamoDB/WriteThrottleEvents",
      "AWS/DynamoDB/SystemErrors",
    ]) {
      expect(watched).toContain(metric);
    }
    const depths = alarms.filter((alarm) => alarm.Properties.MetricName === "ApproximateNumberOfMessagesVisible");
    expect(depths.map((alarm) => alarm.Properties.Dimensions[0].Value["Fn::GetAtt"][0]).sort()).toEqual(["AsyncFailureQueue", "ResumeDeadLetterQueue"]);
    for (const depth of depths) expect(depth.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: "GreaterThanThreshold" });
  });

  it("count DynamoDB's system errors on every operation the store sends", () => {
    const systemErrors = alarms.flatMap(metricsOf).filter((metric) => metric.MetricName === "SystemErrors");
    const operations = systemErrors.map((metric) => (metric.Dimensions as Node[]).find((d) => d.Name === "Operation")!.Value as string);
    expect(new Set(operations)).toEqual(new Set(storeOperations));
    expect(operations).toHaveLength(storeOperations.length);
  });

  it("fire on failed turns, late wake-ups and stuck executions, in the namespace and service the function publishes", () => {
    const dimensions = [{ Name: "service", Value: variables.POWERTOOLS_SERVICE_NAME }];
    for (const name of ["TurnFailed", "WakeupLag", "StuckExecutions"]) {
      expect(alarms.find((alarm) => alarm.Properties.MetricName === name)!.Properties).toMatchObject({
        Namespace: variables.POWERTOOLS_METRICS_NAMESPACE,
        Dimensions: dimensions,
      });
    }
    for (const name of ["TurnFailed", "StuckExecutions"]) {
      expect(spindleAlarm(name)).toMatchObject({ Statistic: "Sum", Period: 300, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    }
    expect(spindleAlarm("WakeupLag")).toMatchObject({
      ExtendedStatistic: "p99",
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      Threshold: { Ref: "WakeupLagThresholdMs" },
      ComparisonOperator: "GreaterThanThreshold",
    });
    expect(parameters.WakeupLagThresholdMs).toMatchObject({ Type: "Number", Default: 60_000 });
  });

  it("alarm on duration only past the handler's deadline (timeout minus safetyMargin), below the timeout", () => {
    const margin = /^(\d+)s$/.exec(HANDLER_OPTIONS.safetyMargin);
    expect(margin, `safetyMargin ${HANDLER_OPTIONS.safetyMargin} is not in seconds`).not.toBeNull();
    const duration = alarms.find((alarm) => alarm.Properties.MetricName === "Duration")!.Properties;
    expect(duration.Threshold).toBeLessThan(fn.Properties.Timeout * 1000);
    expect(duration.Threshold).toBeGreaterThan((fn.Properties.Timeout - Number(margin![1])) * 1000);
  });

  it("notify the stack's SNS topic, which an optional e-mail address subscribes to", () => {
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: "AlarmTopic" }]);
    expect(resources.AlarmTopic.Type).toBe("AWS::SNS::Topic");
    expect(resources.AlarmEmailSubscription).toMatchObject({ Condition: "HasAlarmEmail", Properties: { TopicArn: { Ref: "AlarmTopic" }, Protocol: "email" } });
    expect(parameters.AlarmEmail.Default).toBe("");
  });
});

describe("template.yaml: the dashboard", () => {
  const [text] = [resources.Dashboard.Properties.DashboardBody["Fn::Sub"]].flat() as string[];
  // ${Name} placeholders become their parameter's default (numbers) or a stand-in name, as CloudFormation would fill them.
  const body = JSON.parse(
    text!.replace(/\$\{([\w:.]+)\}/g, (_, name: string) => (parameters[name]?.Type === "Number" ? String(parameters[name].Default) : `resolved-${name}`)),
  ) as { widgets: Node[] };
  /** Every metric line as "namespace/name dimension=value ... stat", the widget's stat unless the line has its own. */
  const lines = body.widgets.flatMap((widget) =>
    (widget.properties.metrics as unknown[][]).map((line) => {
      const options = (typeof line.at(-1) === "object" ? line.at(-1) : {}) as Node;
      const [namespace, name, ...dimensions] = line.filter((part) => typeof part === "string") as string[];
      const pairs = dimensions.flatMap((value, i) => (i % 2 === 0 ? [`${value}=${dimensions[i + 1]}`] : []));
      return `${namespace}/${name} ${pairs.join(" ")} ${options.stat ?? widget.properties.stat}`;
    }),
  );
  const variables = fn.Properties.Environment.Variables as Node;
  const spindle = `${variables.POWERTOOLS_METRICS_NAMESPACE}/`;
  const service = `service=${variables.POWERTOOLS_SERVICE_NAME}`;

  it("shows turns by outcome, wake-up lag p50 and p99, due backlog, store retries and stuck executions", () => {
    for (const outcome of ["Completed", "Suspended", "Failed", "Busy", "Cancelled"]) expect(lines).toContain(`${spindle}Turn${outcome} ${service} Sum`);
    expect(lines).toContain(`${spindle}WakeupLag ${service} p50`);
    expect(lines).toContain(`${spindle}WakeupLag ${service} p99`);
    expect(lines).toContain(`${spindle}DueBacklog ${service} Maximum`);
    expect(lines).toContain(`${spindle}StoreRetries ${service} Sum`);
    expect(lines).toContain(`${spindle}StuckExecutions ${service} Sum`);
  });

  it("shows the function, the table and the queues underneath", () => {
    const fnName = "FunctionName=resolved-SpindleFunction";
    const table = "TableName=resolved-SpindleTable";
    for (const line of [
      `AWS/Lambda/Errors ${fnName} Sum`,
      `AWS/Lambda/Throttles ${fnName} Sum`,
      `AWS/Lambda/Duration ${fnName} p50`,
      `AWS/DynamoDB/ConsumedWriteCapacityUnits ${table} Sum`,
      `AWS/DynamoDB/ConsumedReadCapacityUnits ${table} Sum`,
      `AWS/DynamoDB/ReadThrottleEvents ${table} Sum`,
      `AWS/DynamoDB/WriteThrottleEvents ${table} Sum`,
      "AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=resolved-ResumeQueue.QueueName Maximum",
      "AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=resolved-ResumeDeadLetterQueue.QueueName Maximum",
    ]) {
      expect(lines).toContain(line);
    }
  });

  it("shows every metric spindle/lambda publishes, and none it does not", () => {
    const shown = new Set(lines.filter((line) => line.startsWith(spindle)).map((line) => line.slice(spindle.length).split(" ")[0]!));
    expect(shown).toEqual(new Set(Object.values(METRIC)));
    const alarmed = Object.values(resources)
      .filter((resource: Node) => resource.Type === "AWS::CloudWatch::Alarm" && resource.Properties.Namespace === variables.POWERTOOLS_METRICS_NAMESPACE)
      .map((alarm: Node) => alarm.Properties.MetricName as string);
    expect(alarmed.length).toBeGreaterThan(0);
    for (const name of alarmed) expect(Object.values(METRIC)).toContain(name);
  });

  it("marks the wake-up lag alarm's threshold, and names only the stack's resources and parameters", () => {
    const lag = body.widgets.find((widget) => widget.properties.title.startsWith("Wake-up lag"))!;
    expect(lag.properties.annotations.horizontal[0].value).toBe(parameters.WakeupLagThresholdMs.Default);
    for (const [, name] of text!.matchAll(/\$\{([\w:.]+)\}/g)) {
      expect(name!.startsWith("AWS::") || name!.split(".")[0]! in resources || name! in parameters, name).toBe(true);
    }
  });
});

describe("template.yaml: outputs", () => {
  it("give the API URL, the table, the queues, the alarm topic and the dashboard", () => {
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(["ApiUrl", "TableName", "ResumeQueueUrl", "DeadLetterQueueUrl", "AsyncFailureQueueUrl", "AlarmTopicArn", "DashboardUrl"]),
    );
    expect(template.Outputs.TableName.Value).toEqual({ Ref: "SpindleTable" });
  });
});
