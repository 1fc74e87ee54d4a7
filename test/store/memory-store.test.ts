// MemoryStore passes the HistoryStore conformance suite, the same one every store runs.
import { describe, expect, it } from "vitest";
import { MemoryStore } from "spindle";
import { runStoreConformance } from "spindle/testing";

runStoreConformance("MemoryStore", () => new MemoryStore(), { test: { describe, it, expect } });
