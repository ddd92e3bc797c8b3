/**
 * Checks on the merged configuration: what no single value shows by itself.
 * Enabled secure listeners need credentials, `verify_peer` needs CA
 * certificates, OCSP stapling needs a responder and issuer, a CRL check
 * needs a CRL file except on `ssl` listeners (which fetch the CRLs named by
 * client certificates' distribution points), and no two enabled listeners may bind the same port on
 * the same transport (CoAP and DTLS are UDP, the MQTT families TCP). Every
 * problem names the variable or JSON key to fix; a value already rejected
 * while parsing is not reported again.
 *
 * @module
 */

import { envVariableFor } from "./env.ts";
import { ConfigError, type ConfigIssue, keyOfPath } from "./errors.ts";
import { ConfigOrigins, filePathOf, listenerField } from "./origins.ts";
import {
  describeFamily,
  type ListenerConfig,
  listenerId,
  type PosternConfig,
  transportOf,
} from "./schema.ts";
import { parseIp } from "../bytes/ip_address.ts";
import { pskOnlyListener, tlsPathFor } from "./tls_path.ts";

/**
 * Errors and warnings of {@link validateConfig}.
 *
 * @example
 * ```ts
 * import { defaultConfig } from "./schema.ts";
 * import { validateConfig, type ConfigValidationResult } from "./validate.ts";
 *
 * const result: ConfigValidationResult = validateConfig(defaultConfig());
 * ```
 */
export interface ConfigValidationResult {
  /** Problems that stop postern from starting. */
  errors: ConfigError[];
  /** Settings that have no effect or look like mistakes. */
  warnings: ConfigIssue[];
}

/**
 * Checks a merged configuration.
 *
 * @param config The configuration.
 * @param origins Where its values came from (from `loadConfig`); without
 *   it, problems are named by their config file path.
 * @returns Every error and warning.
 *
 * @example Two enabled listeners on the same port
 * ```ts
 * import { defaultConfig, defaultListener } from "./schema.ts";
 * import { validateConfig } from "./validate.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * const second = defaultListener("tcp", "second");
 * second.enabled = true;
 * config.listeners.push(second);
 * const { errors } = validateConfig(config);
 * assert.equal(errors.length, 1);
 * assert.equal(errors[0]!.path, "listeners.tcp.second.bind");
 * ```
 */
export function validateConfig(
  config: PosternConfig,
  origins: ConfigOrigins = new ConfigOrigins(),
): ConfigValidationResult {
  const errors: ConfigError[] = [];
  const warnings: ConfigIssue[] = [];
  const enabled = config.listeners.filter((l) => l.enabled);
  for (const listener of enabled) {
    checkTls(listener, { origins, errors, warnings }, config.psk.enabled);
  }
  checkPorts(enabled, { origins, errors });
  if (enabled.length === 0) {
    warnings.push({
      path: "listeners",
      key: "listeners",
      message: "No listener is enabled",
    });
  }
  return { errors, warnings };
}

interface Sink {
  origins: ConfigOrigins;
  errors: ConfigError[];
  warnings?: ConfigIssue[];
}

/**
 * Where to tell the operator to set a value: its own source if it was set,
 * else the variable when the listener was enabled from the environment,
 * else the config file key.
 */
function whereToSet(
  listener: ListenerConfig,
  field: string,
  origins: ConfigOrigins,
): string {
  const full = listenerField(listener, field);
  if (origins.kindOf(full) !== "default") return origins.sourceOf(full);
  if (
    listener.name === "default" &&
    origins.kindOf(listenerField(listener, "enabled")) === "env"
  ) {
    const name = envVariableFor(listener.family, field);
    if (name !== undefined) return name;
  }
  return filePathOf(full);
}

function checkTls(
  listener: ListenerConfig,
  sink: Required<Sink>,
  pskEnabled: boolean,
): void {
  const tls = listener.tls;
  if (tls === undefined) return;
  const { origins, errors, warnings } = sink;
  const id = listenerId(listener);
  const field = (f: string) => listenerField(listener, f);
  const invalid = (...fs: string[]) =>
    fs.some((f) => origins.isInvalid(field(f)));
  const error = (path: string, message: string) =>
    errors.push(new ConfigError(path, message));
  const warn = (path: string, message: string) =>
    warnings.push({ path, key: keyOfPath(path), message });

  // A DTLS listener for PSK devices only needs no certificate, nor does an
  // ssl listener whose every suite is a PSK suite (postern's engine).
  const pskOnly = pskOnlyListener({ psk: { enabled: pskEnabled } }, listener);
  if (tls.credentialsType === "PEM") {
    if (
      tls.certFile === undefined && !pskOnly &&
      !invalid("tls.certFile", "tls.credentialsType")
    ) {
      error(
        whereToSet(listener, "tls.certFile", origins),
        `Listener ${id} (${
          describeFamily(listener.family)
        }) is enabled but has no server certificate`,
      );
    }
  } else if (
    tls.keyStoreFile === undefined &&
    !invalid("tls.keyStoreFile", "tls.credentialsType")
  ) {
    error(
      whereToSet(listener, "tls.keyStoreFile", origins),
      `Listener ${id} uses a KEYSTORE but names no key store file`,
    );
  }

  if (
    tls.verify === "verify_peer" && tls.caCertFile === undefined &&
    !invalid("tls.verify", "tls.caCertFile")
  ) {
    error(
      origins.sourceOf(field("tls.verify")),
      `verify_peer needs trusted CA certificates: set ${
        whereToSet(listener, "tls.caCertFile", origins)
      }`,
    );
  }
  if (tls.verify === "verify_none" && tls.failIfNoPeerCert) {
    warn(
      origins.sourceOf(field("tls.failIfNoPeerCert")),
      "Has no effect with verify_none",
    );
  }

  if (tls.ocsp.enableOcspStapling && !invalid("tls.ocsp.enableOcspStapling")) {
    const at = origins.sourceOf(field("tls.ocsp.enableOcspStapling"));
    if (
      tls.ocsp.responderUrl === undefined && !invalid("tls.ocsp.responderUrl")
    ) {
      error(
        at,
        `OCSP stapling needs a responder URL: set ${
          whereToSet(listener, "tls.ocsp.responderUrl", origins)
        }`,
      );
    }
    if (
      tls.ocsp.issuerPemFile === undefined && !invalid("tls.ocsp.issuerPemFile")
    ) {
      error(
        at,
        `OCSP stapling needs the issuer certificate: set ${
          whereToSet(listener, "tls.ocsp.issuerPemFile", origins)
        }`,
      );
    }
    if (
      listener.family !== "dtls" && !tls.versions.includes("tlsv1.2") &&
      !invalid("tls.versions")
    ) {
      error(
        at,
        "OCSP stapling runs on TLS 1.2: versions must include tlsv1.2",
      );
    }
  }

  if (listener.family !== "dtls" && !invalid("tls.tlsEngine")) {
    const path = tlsPathFor({ psk: { enabled: pskEnabled } }, listener);
    if (
      path.engine === "postern" && !tls.versions.includes("tlsv1.2") &&
      // the OCSP check above already says so
      !tls.ocsp.enableOcspStapling && !invalid("tls.versions")
    ) {
      error(
        origins.sourceOf(field("tls.versions")),
        `Listener ${id} runs on postern's TLS engine (${path.reason}), which speaks TLS 1.2 only: versions must include tlsv1.2`,
      );
    }
  } else if (tls.tlsEngine !== "auto" && !invalid("tls.tlsEngine")) {
    warn(
      origins.sourceOf(field("tls.tlsEngine")),
      "Has no effect on a dtls listener",
    );
  }

  if (tls.enableCrlCheck && !invalid("tls.enableCrlCheck")) {
    const at = origins.sourceOf(field("tls.enableCrlCheck"));
    if (
      tls.crlFile === undefined && !invalid("tls.crlFile") &&
      listener.family !== "ssl"
    ) {
      error(
        at,
        `A CRL check needs a CRL file (only ssl listeners fetch CRLs from distribution points): set ${
          whereToSet(listener, "tls.crlFile", origins)
        }`,
      );
    }
    if (tls.verify === "verify_none") {
      warn(at, "Has no effect with verify_none");
    }
  }
}

/** Whether two bind hosts can clash on the same port. */
function hostsOverlap(a: string, b: string): boolean {
  // "::" is dual-stack and covers IPv4 too; "0.0.0.0" covers every IPv4
  // address and host name, but not a specific IPv6 address.
  if (a === b || a === "::" || b === "::") return true;
  const isV6 = (h: string) => parseIp(h)?.length === 16;
  if (a === "0.0.0.0") return !isV6(b);
  if (b === "0.0.0.0") return !isV6(a);
  return false;
}

function checkPorts(listeners: readonly ListenerConfig[], sink: Sink): void {
  const { origins, errors } = sink;
  const seen: ListenerConfig[] = [];
  for (const listener of listeners) {
    const portField = listenerField(listener, "port");
    if (
      listener.port === 0 || origins.isInvalid(portField) ||
      origins.isInvalid(listenerField(listener, "host"))
    ) continue;
    const other = seen.find((o) =>
      transportOf(o.family) === transportOf(listener.family) &&
      o.port === listener.port && hostsOverlap(o.host, listener.host)
    );
    if (other !== undefined) {
      errors.push(
        new ConfigError(
          origins.sourceOf(portField),
          `Listener ${
            listenerId(listener)
          } binds ${listener.host} port ${listener.port}/${
            transportOf(listener.family)
          }, already bound by listener ${listenerId(other)} (${
            origins.sourceOf(listenerField(other, "port"))
          })`,
        ),
      );
      continue;
    }
    seen.push(listener);
  }
}
