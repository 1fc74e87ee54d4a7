// Keeps the DynamoDB Local example runnable: runs it against the DynamoDB Local of the test setup.
import { afterEach, expect, it, vi } from "vitest";
import { inject } from "vitest";
import { main } from "./main.js";

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.DYNAMODB_ENDPOINT;
});

it("runs the DynamoDB Local example: both orders complete, the second one finished by the second engine", async () => {
  process.env.DYNAMODB_ENDPOINT = inject("dynamodbEndpoint");
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  await main();
  const output = lines.join("\n");
  expect(output).toContain('order-o-1: result {"total":48,"ref":"pay-1","tracking":"TRK-o-1"}');
  expect(output).toContain('order-o-2: result {"total":18,"ref":"pay-2","tracking":"TRK-o-2"} (finished by the second engine)');
  expect(output).toContain("completed orders: order-o-2, order-o-1");
  expect(output).toMatch(/E#00000000#0000000009 +ExecutionCompleted/);
});
