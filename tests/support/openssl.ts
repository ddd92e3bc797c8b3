/**
 * Runs the `openssl` command line for tests that make keys and certificates
 * at test time, and tells whether it is there. In CI (`CI=true`) a missing
 * `openssl` fails the test.
 *
 * @module
 */

const IN_CI = Deno.env.get("CI") === "true";
let runs: boolean | undefined;

/**
 * Whether `openssl version` runs here (asked once per process).
 *
 * @example
 * ```ts
 * import { opensslRuns } from "./openssl.ts";
 *
 * if (!opensslRuns()) console.log("no openssl");
 * ```
 */
export function opensslRuns(): boolean {
  if (runs === undefined) {
    try {
      runs = new Deno.Command("openssl", {
        args: ["version"],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } catch {
      runs = false;
    }
  }
  return runs;
}

/**
 * Whether openssl runs; with `CI=true` its absence throws instead.
 *
 * @example
 * ```ts
 * import { opensslAvailable } from "./openssl.ts";
 *
 * if (!(await opensslAvailable())) console.log("skipping");
 * ```
 */
export function opensslAvailable(): Promise<boolean> {
  if (!opensslRuns() && IN_CI) {
    return Promise.reject(new Error("openssl is required when CI=true"));
  }
  return Promise.resolve(opensslRuns());
}

/**
 * A test that needs `openssl`: skipped where it is missing, except in CI
 * (`CI=true`), where a missing openssl fails it.
 *
 * @example
 * ```ts ignore
 * import { opensslTest } from "./openssl.ts";
 *
 * opensslTest("openssl prints its version", async () => {});
 * ```
 */
export function opensslTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: !opensslRuns() && !IN_CI,
    async fn() {
      if (!opensslRuns()) {
        throw new Error("openssl is required when CI=true");
      }
      await fn();
    },
  });
}

/** Output of one `openssl` run. */
export interface OpensslResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

/**
 * Runs `openssl ARGS` and returns its output without judging the exit code.
 *
 * @example
 * ```ts
 * import { runOpenssl } from "./openssl.ts";
 * import assert from "node:assert/strict";
 *
 * const r = await runOpenssl(["version"]);
 * assert.equal(r.code, 0);
 * ```
 */
export async function runOpenssl(
  args: string[],
  options: { cwd?: string; stdin?: Uint8Array | string } = {},
): Promise<OpensslResult> {
  const cmd = new Deno.Command("openssl", {
    args,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(
      typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin,
    );
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/**
 * Runs `openssl ARGS` and throws with its stderr if it exits non-zero.
 *
 * @example
 * ```ts
 * import { openssl } from "./openssl.ts";
 * import assert from "node:assert/strict";
 *
 * const out = new TextDecoder().decode(await openssl(["version"]));
 * assert.match(out, /OpenSSL/);
 * ```
 */
export async function openssl(
  args: string[],
  options: { cwd?: string; stdin?: Uint8Array | string } = {},
): Promise<Uint8Array> {
  const r = await runOpenssl(args, options);
  if (r.code !== 0) {
    throw new Error(
      `openssl ${args.join(" ")} failed (${r.code}): ${r.stderr}`,
    );
  }
  return r.stdout;
}
