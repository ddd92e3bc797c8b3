import { MemoryStore } from "../../src/auth/mod.ts";
import { runStoreSuite } from "./store_suite.ts";

runStoreSuite("MemoryStore", (options) => {
  const store = new MemoryStore(options);
  return Promise.resolve({ store, dispose: () => store.close() });
});
