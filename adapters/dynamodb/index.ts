// The `spindle/dynamodb` entry point: DynamoDBStore and its table. Explicit named exports only.
export { DEFAULT_MAX_VALUE_BYTES, DynamoDBStore } from "./store.js";
export type { DynamoDBStoreOptions } from "./store.js";
export type { RetryInfo, RetryOptions } from "./retry.js";
export { cloudFormationTable, createTable, DUE_INDEX, LIST_INDEX, tableDefinition } from "./table.js";
export type { TableOptions } from "./table.js";
