import { KvStore } from "../../src/auth/mod.ts";
import { runStoreSuite } from "./store_suite.ts";

runStoreSuite("KvStore", async (options) => {
  const dir = await Deno.makeTempDir({ prefix: "postern_auth_" });
  const store = await KvStore.openDataDir(dir, options);
  return {
    store,
    dispose: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});
