/**
 * postern's configuration: the ThingsBoard/TBMQ environment variables and
 * the EMQX-shaped JSON file of ARCHITECTURE.md's configuration contract,
 * merged (environment overrides file) into one normalized
 * {@link PosternConfig} and validated with one {@link ConfigError} per
 * problem.
 *
 * @example
 * ```ts
 * import { formatIssue, loadConfig } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { errors } = loadConfig({
 *   env: { LISTENER_SSL_ENABLED: "yes", COAP_BIND_PORT: "70000" },
 * });
 * assert.deepEqual(errors.map(formatIssue), [
 *   'LISTENER_SSL_ENABLED: Must be true or false, got "yes"',
 *   "COAP_BIND_PORT: Port must be an integer from 0 to 65535, got 70000",
 * ]);
 * ```
 *
 * @module
 */

export {
  ConfigError,
  type ConfigErrorOptions,
  type ConfigIssue,
  ConfigValidationError,
  formatIssue,
  keyOfPath,
} from "./errors.ts";
export {
  type CredentialsType,
  DEFAULT_PORTS,
  defaultConfig,
  type DefaultConfigOptions,
  defaultListener,
  defaultTlsOptions,
  describeFamily,
  DEV_CERTIFICATES,
  type DtlsSessionOptions,
  isListenerFamily,
  isSecureFamily,
  LISTENER_FAMILIES,
  type ListenerConfig,
  type ListenerFamily,
  listenerId,
  type LogConfig,
  type LogFormat,
  type LogLevel,
  type OcspOptions,
  type PosternConfig,
  type PskAuthenticationConfig,
  type TlsEngine,
  type TlsOptions,
  type TlsVersion,
  type Transport,
  transportOf,
  type VerifyMode,
} from "./schema.ts";
export {
  ENV_PREFIXES,
  ENV_VARIABLE_NAMES,
  type EnvReadResult,
  envVariableFor,
  readEnv,
} from "./env.ts";
export {
  type FileParseResult,
  parseConfigFile,
  type ParseConfigFileOptions,
} from "./file.ts";
export { loadConfig, type LoadConfigOptions, type LoadResult } from "./load.ts";
export { type ConfigValidationResult, validateConfig } from "./validate.ts";
export {
  checkFiles,
  type CheckFilesOptions,
  filesInUse,
  type ReadFile,
  type TlsFileChecker,
  tlsFileCheckers,
  type TlsFileField,
  type TlsFileSet,
} from "./check_files.ts";
export { renderConfig, type RenderConfigOptions } from "./render.ts";
export {
  ConfigOrigins,
  filePathOf,
  listenerField,
  type OriginKind,
} from "./origins.ts";
export {
  type AccessRule,
  compileAccessRules,
  parseAccessRule,
  parseCidr,
} from "./access_rules.ts";
export {
  formatIp,
  parseIp,
  parseIpv4,
  parseIpv6,
} from "../bytes/ip_address.ts";
export {
  type BindAddress,
  checkPort,
  describeJson,
  parseBind,
  type Parsed,
  parseDuration,
  parseHost,
  parsePort,
} from "./values.ts";
export { didYouMean, editDistance, suggest } from "./suggest.ts";
export {
  loadTlsCredentials,
  type TlsCredentials,
  tlsCredentialsChecker,
  type TlsCredentialsResult,
} from "./tls_credentials.ts";
export {
  isPskSuiteName,
  pskConfigured,
  pskOnlyListener,
  type TlsPath,
  type TlsPathEngine,
  tlsPathFor,
} from "./tls_path.ts";
