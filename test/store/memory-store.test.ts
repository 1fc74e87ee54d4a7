// MemoryStore passes the HistoryStore conformance suite, the same one every store runs.
import { MemoryStore } from "spindle";
import { runStoreConformance } from "spindle/testing";

runStoreConformance("MemoryStore", () => new MemoryStore());
