// Where the CLI's store and workflows come from: a config module (`--config <path>`, else the first
// spindle.config.{ts,mts,js,mjs,cjs} found from the working directory up to the repository or filesystem root),
// flags (`--table`, `--region`, `--endpoint` build a DynamoDBStore, replacing the config's store), or both. A .ts
// config is imported in-process when the runtime can (vitest, Node with type stripping, a tsx-run process), else
// through tsx's loader (an optional peer). The AWS SDK is imported only when flags ask for DynamoDB.
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { HistoryStore } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { LoadedConfig } from "./commands/types.js";
import type { SpindleConfig } from "./define-config.js";
import { CliError, EXIT, usageError } from "./errors.js";

/**
 * The file names searched for, in this order, in each directory.
 *
 * @example
 * ```ts
 * CONFIG_NAMES[0]; // "spindle.config.ts"
 * ```
 */
export const CONFIG_NAMES = [
  "spindle.config.ts",
  "spindle.config.mts",
  "spindle.config.js",
  "spindle.config.mjs",
  "spindle.config.cjs",
] as const;

/**
 * The flags that configure the store.
 *
 * @example
 * ```ts
 * const flags: StoreFlags = { table: "orders", region: "eu-west-1" };
 * ```
 */
export interface StoreFlags {
  config?: string;
  table?: string;
  region?: string;
  endpoint?: string;
}

/**
 * A loaded configuration and what to release when the command is done (the DynamoDB client of flags).
 *
 * @example
 * ```ts
 * const handle: ConfigHandle = await loadConfig({ config: "./spindle.config.ts" }, { cwd: process.cwd(), env: process.env });
 * handle.close();
 * ```
 */
export interface ConfigHandle extends LoadedConfig {
  /** The engine options the config module gave. */
  engine: SpindleConfig["engine"];
  close(): void;
}

/**
 * Finds the config module: `--config` (relative to cwd; must exist), else the first CONFIG_NAMES file in cwd or a
 * parent, stopping after the directory that holds `.git` (the repository root) or at the filesystem root.
 *
 * @example
 * ```ts
 * findConfig(undefined, process.cwd()); // "/repo/spindle.config.ts" or undefined
 * ```
 * @throws CliError (exit 4) when `--config` names a file that does not exist.
 */
export function findConfig(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit !== undefined) {
    const path = isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new CliError(`--config ${explicit}: no such file (looked for ${path}).`, { exit: EXIT.unavailable, code: "CONFIG" });
    }
    if (!statSync(path).isFile()) {
      throw new CliError(`--config ${explicit}: ${path} is a directory, not a config module: pass the module's file, e.g. ${join(explicit, "spindle.config.ts")}.`, {
        exit: EXIT.unavailable,
        code: "CONFIG",
      });
    }
    return path;
  }
  let dir = resolve(cwd);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
    const parent = dirname(dir);
    if (existsSync(join(dir, ".git")) || parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Loads the configuration the command line asks for: the config module (if any), then the flags' store over it.
 *
 * @example
 * ```ts
 * const config = await loadConfig({ table: "orders", region: "eu-west-1" }, io);
 * try { console.log(config.source); } finally { config.close(); }
 * ```
 * @throws CliError: exit 2 for inconsistent flags, exit 4 when nothing configures a store, the module cannot be
 * loaded or exports something else than a config, or the AWS SDK is missing.
 */
export async function loadConfig(flags: StoreFlags, io: { cwd: string; env: Record<string, string | undefined> }): Promise<ConfigHandle> {
  if (flags.table === undefined && (flags.region !== undefined || flags.endpoint !== undefined)) {
    throw usageError("--region and --endpoint configure a DynamoDB table: add --table <name>.");
  }
  if (flags.endpoint !== undefined && !isHttpUrl(flags.endpoint)) {
    throw usageError(`--endpoint ${flags.endpoint}: not an http(s) URL. Give the endpoint's URL, e.g. --endpoint http://localhost:8000 for DynamoDB Local.`);
  }
  const path = findConfig(flags.config, io.cwd);
  const module = path === undefined ? undefined : await readConfigModule(path);
  let closeClient = () => {};
  let store: HistoryStore;
  let source: string;
  if (flags.table !== undefined) {
    const built = await dynamoDBStore({ table: flags.table, region: flags.region, endpoint: flags.endpoint }, io.env);
    store = built.store;
    closeClient = built.close;
    source = `DynamoDB table '${flags.table}'${flags.endpoint === undefined ? "" : ` at ${flags.endpoint}`}`;
  } else if (module?.store !== undefined) {
    store = await resolveStore(module.store, path!);
    source = path!;
  } else {
    throw new CliError(
      path === undefined
        ? `no store configured: pass --table <name> (with --region, and --endpoint for DynamoDB Local), or write a ` +
            `spindle.config.ts exporting { store, workflows } (none found from ${io.cwd} up).`
        : `${path} exports no store: export { store, workflows }, or pass --table <name>.`,
      { exit: EXIT.unavailable, code: "CONFIG" },
    );
  }
  return {
    store,
    workflows: module?.workflows ?? [],
    ...(path === undefined ? {} : { path }),
    source,
    engine: module?.engine,
    close: closeClient,
  };
}

/**
 * Loads only the config module's workflows, for commands that need no store (`check --from`): a config without a
 * store is enough, and no flag is needed.
 *
 * @example
 * ```ts
 * const { workflows, path } = await loadWorkflows({ config: "./spindle.config.ts" }, { cwd: process.cwd() });
 * ```
 * @throws CliError (exit 4) when the module cannot be loaded or exports something else than a config.
 */
export async function loadWorkflows(flags: StoreFlags, io: { cwd: string }): Promise<{ workflows: readonly AnyWorkflow[]; path?: string }> {
  const path = findConfig(flags.config, io.cwd);
  if (path === undefined) return { workflows: [] };
  const module = await readConfigModule(path);
  return { workflows: module.workflows ?? [], path };
}

/** The module's config (default export, a function default export's result, or named exports), checked. */
async function readConfigModule(path: string): Promise<SpindleConfig> {
  const namespace = await importConfig(path);
  let config: unknown = "default" in namespace && namespace.default !== undefined ? namespace.default : namespace;
  // A CommonJS module imported from ESM: its exports object is the default export.
  if (typeof config === "function") {
    try {
      config = await (config as () => unknown)();
    } catch (error) {
      throw configError(path, `its default export function threw: ${messageOf(error)}`, error);
    }
  }
  if (typeof config !== "object" || config === null) {
    throw configError(path, `exports ${typeof config}; export an object { store, workflows } (or defineConfig({...})).`);
  }
  const { store, workflows, engine } = config as Record<string, unknown>;
  if (store !== undefined && typeof store !== "function" && typeof (store as HistoryStore)?.append !== "function") {
    throw configError(path, "`store` must be a HistoryStore (new MemoryStore(), new DynamoDBStore(...)) or a function returning one.");
  }
  if (workflows !== undefined) {
    if (!Array.isArray(workflows)) throw configError(path, "`workflows` must be an array of workflow() definitions.");
    for (const [index, definition] of workflows.entries()) {
      if (typeof definition?.name !== "string" || typeof definition?.body !== "function") {
        throw configError(path, `\`workflows[${index}]\` is not a workflow() definition.`);
      }
    }
  }
  if (engine !== undefined && (typeof engine !== "object" || engine === null)) {
    throw configError(path, "`engine` must be an object of createEngine options.");
  }
  return {
    ...(store === undefined ? {} : { store: store as SpindleConfig["store"] }),
    ...(workflows === undefined ? {} : { workflows: workflows as AnyWorkflow[] }),
    ...(engine === undefined ? {} : { engine: engine as SpindleConfig["engine"] }),
  };
}

async function resolveStore(store: NonNullable<SpindleConfig["store"]>, path: string): Promise<HistoryStore> {
  let made: HistoryStore;
  try {
    made = typeof store === "function" ? await store() : store;
  } catch (error) {
    throw configError(path, `its \`store\` function threw: ${messageOf(error)}`, error);
  }
  if (typeof made?.append !== "function") throw configError(path, "the `store` function returned something that is not a HistoryStore.");
  return made;
}

function messageOf(error: unknown): string {
  const message = (error as Error)?.message;
  return typeof message === "string" && message !== "" ? message : String(error);
}

/** True for an absolute http: or https: URL (an SDK endpoint). */
function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function configError(path: string, what: string, cause?: unknown): CliError {
  return new CliError(`config ${path}: ${what}`, { exit: EXIT.unavailable, code: "CONFIG", ...(cause === undefined ? {} : { cause }) });
}

const TS = /\.(m|c)?ts$/;

/**
 * Imports the module in-process; a .ts file the runtime cannot load (no type stripping, or only Node's, which
 * knows no tsconfig paths and no `.js` specifiers for `.ts` files) goes through tsx instead.
 */
async function importConfig(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  let direct: unknown;
  try {
    return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (error) {
    if (!TS.test(path)) throw configError(path, `could not be loaded: ${(error as Error)?.message ?? String(error)}`, error);
    direct = error;
  }
  let api: { register(): () => Promise<void> };
  try {
    api = (await import("tsx/esm/api")) as typeof api;
  } catch (error) {
    const why = ((direct as Error)?.message ?? String(direct)).split("\n")[0];
    throw new CliError(
      `config ${path} is TypeScript and this Node could not load it by itself (${why}): install tsx ` +
        `(npm install -D tsx), or write spindle.config.js.`,
      { exit: EXIT.unavailable, code: "MISSING_PACKAGE", cause: error },
    );
  }
  // A process-wide registration, not tsImport's namespace: a namespace loads every module the config imports again,
  // so its `import "spindle"` would be a second copy of the package next to the one the CLI runs.
  const unregister = api.register();
  try {
    return (await import(/* @vite-ignore */ `${url}?spindle-config`)) as Record<string, unknown>;
  } catch (error) {
    throw configError(path, `could not be loaded: ${(error as Error)?.message ?? String(error)}`, error);
  } finally {
    await unregister();
  }
}

/** A DynamoDBStore from flags, on a client of its own (the store is the only retry layer: maxAttempts 1). */
async function dynamoDBStore(
  flags: { table: string; region: string | undefined; endpoint: string | undefined },
  env: Record<string, string | undefined>,
): Promise<{ store: HistoryStore; close(): void }> {
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === "") {
    throw usageError(`--table ${flags.table}: no region: pass --region <region> or set AWS_REGION.`);
  }
  let sdk: typeof import("@aws-sdk/client-dynamodb");
  let adapter: typeof import("spindle/dynamodb");
  try {
    sdk = await import("@aws-sdk/client-dynamodb");
    adapter = await import("spindle/dynamodb");
  } catch (error) {
    throw new CliError(
      `--table needs the AWS SDK, which is not installed: npm install @aws-sdk/client-dynamodb @aws-sdk/lib-dynamodb ` +
        `(${(error as Error)?.message?.split("\n")[0] ?? error}).`,
      { exit: EXIT.unavailable, code: "MISSING_PACKAGE", cause: error },
    );
  }
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  const client = new sdk.DynamoDBClient({
    region,
    maxAttempts: 1,
    ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }),
    // Credentials given in the CLI's environment win; otherwise the SDK's default chain (profiles, SSO, roles).
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  });
  // Fail fast: a command line waits for a person, not for a long retry budget.
  const store = new adapter.DynamoDBStore({
    client,
    tableName: flags.table,
    retry: { maxAttempts: 3, attemptTimeoutMs: 10_000 },
    logger: { warn: () => {} },
  });
  return { store, close: () => client.destroy() };
}
