/**
 * The `postern` command line (ARCHITECTURE.md "Command line"):
 *
 * ```
 * postern serve [--config FILE] [--data-dir DIR] [--log-format json|text]
 * postern certs init [--dir certs] | certs issue --cn NAME [--ca ...]
 * postern config check [--config FILE]
 * postern psk add|rm|ls|import, postern token add|rm|ls
 * postern user add|rm|ls, postern cert allow|revoke|rm|ls|ca
 * postern acl set|rm|ls|check
 * postern coap get|post|put|delete|observe URI [options]
 * postern help | --help, postern --version
 * ```
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { aclCommand } from "./acl.ts";
import { certCommand } from "./cert.ts";
import { certsCommand } from "./certs.ts";
import { coapCommand } from "./coap.ts";
import {
  type CommandIo,
  configCheckCommand,
  resolveIo,
} from "./config_check.ts";
import { pskCommand } from "./psk.ts";
import { serveCommand, type ServeOptions } from "./serve.ts";
import type { StoreCommandIo } from "./_store.ts";
import { tokenCommand } from "./token.ts";
import { userCommand } from "./user.ts";
import { didYouMean } from "../src/config/mod.ts";

/**
 * postern's version, from `deno.json`.
 *
 * @example
 * ```ts
 * import { VERSION } from "./main.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION: string = denoJson.version;

const USAGE =
  `postern ${VERSION}: an edge broker for CoAP over DTLS and MQTT over TLS

Usage:
  postern serve [--config FILE] [--data-dir DIR] [--log-format json|text]
                                           start the broker
  postern certs init [--dir certs]         dev CA, server and client certificates
  postern certs issue --cn NAME [--ca ...] one more client certificate
  postern config check [--config FILE]     validate and print the effective config
  postern psk add|rm|ls|import             PSK identities
  postern token add|rm|ls                  device access tokens
  postern user add|rm|ls                   users with passwords
  postern cert allow|revoke|rm|ls|ca       client certificate identities, trusted CAs
  postern acl set|rm|ls|check              topic ACLs
  postern coap get|post|put|delete|observe URI
                                           a CoAP/DTLS client (see postern coap --help)
  postern help | --help                    this text
  postern --version                        the version

The credential commands work on the store in --data-dir (default
POSTERN_DATA_DIR, else ./data) while the broker runs; see
"postern psk --help" and the others.

Configuration: the ThingsBoard/TBMQ environment variables (LISTENER_*, COAP_*,
MQTT_SSL_*, TB_COAP_X509_DTLS_*, PSK_AUTHENTICATION_*, POSTERN_DATA_DIR)
override the EMQX-shaped JSON file given with --config.`;

const COMMANDS = [
  "serve",
  "certs",
  "config",
  "help",
  "psk",
  "token",
  "user",
  "cert",
  "acl",
  "coap",
];

/**
 * Options of {@link main}: the IO and test hooks passed on to the commands.
 *
 * @example
 * ```ts
 * import type { MainOptions } from "./main.ts";
 *
 * const options: MainOptions = { env: {}, stdout: () => {}, stderr: () => {} };
 * ```
 */
export type MainOptions = CommandIo & ServeOptions & StoreCommandIo;

/**
 * Runs the command line.
 *
 * @param args The arguments, such as `Deno.args`.
 * @param options IO and test hooks (default: the real process).
 * @returns The exit code: 0 success, 1 failure, 2 usage error or not
 *   implemented.
 *
 * @example
 * ```ts
 * import { main, VERSION } from "./main.ts";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * assert.equal(await main(["--version"], { stdout: (t) => out.push(t) }), 0);
 * assert.deepEqual(out, [`postern ${VERSION}`]);
 * assert.equal(await main(["coap", "get"], { stderr: () => {} }), 2);
 * ```
 */
export async function main(
  args: string[],
  options: MainOptions = {},
): Promise<number> {
  const { stdout, stderr } = resolveIo({
    env: options.env ?? {},
    ...(options.stdout === undefined ? {} : { stdout: options.stdout }),
    ...(options.stderr === undefined ? {} : { stderr: options.stderr }),
  });
  const [command, ...rest] = args;
  switch (command) {
    case undefined:
      stderr(USAGE);
      return 2;
    case "help":
    case "--help":
    case "-h":
      stdout(USAGE);
      return 0;
    case "--version":
    case "-V":
    case "version":
      stdout(`postern ${VERSION}`);
      return 0;
    case "serve":
      return await serveCommand(rest, options);
    case "certs":
      return await certsCommand(rest);
    case "psk":
      return await pskCommand(rest, options);
    case "token":
      return await tokenCommand(rest, options);
    case "user":
      return await userCommand(rest, options);
    case "cert":
      return await certCommand(rest, options);
    case "acl":
      return await aclCommand(rest, options);
    case "coap":
      return await coapCommand(rest, options);
    case "config":
      if (rest[0] === "check") {
        return await configCheckCommand(rest.slice(1), options);
      }
      if (rest[0] === "--help" || rest[0] === "-h") {
        stdout("Usage: postern config check [--config FILE]");
        return 0;
      }
      stderr(
        `postern config: unknown subcommand ${
          rest[0] === undefined ? "(none)" : JSON.stringify(rest[0])
        }; use postern config check [--config FILE]`,
      );
      return 2;
  }
  stderr(
    `postern: unknown command ${JSON.stringify(command)}${
      didYouMean(command, COMMANDS)
    }; see postern --help`,
  );
  return 2;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
