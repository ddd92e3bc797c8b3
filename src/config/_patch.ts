/**
 * Private: the changes a configuration source asks for, collected while
 * parsing and applied in order on top of the defaults by `load.ts`.
 *
 * @module
 */

import { ConfigError, type ConfigIssue, keyOfPath } from "./errors.ts";
import type {
  ListenerConfig,
  ListenerFamily,
  PosternConfig,
} from "./schema.ts";

/** One change to the configuration, or the rejection of a given value. */
export type PatchOp =
  | {
    readonly kind: "listener";
    readonly family: ListenerFamily;
    readonly name: string;
    /** Listener field, such as `port` or `tls.certFile`. */
    readonly field: string;
    /** Variable name or JSON path that asked for the change. */
    readonly source: string;
    readonly apply: (listener: ListenerConfig) => void;
  }
  | {
    readonly kind: "global";
    /** Normalized field path, such as `psk.initFile`. */
    readonly field: string;
    readonly source: string;
    readonly apply: (config: PosternConfig) => void;
  }
  | {
    readonly kind: "invalid";
    /** Full normalized field path whose given value was rejected. */
    readonly field: string;
  };

/** Collects the changes, errors and warnings of one source. */
export class PatchBuilder {
  readonly ops: PatchOp[] = [];
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigIssue[] = [];

  /** Records an error; `field` (a full normalized path) is marked rejected. */
  error(path: string, message: string, field?: string): void {
    this.errors.push(new ConfigError(path, message));
    if (field !== undefined) this.ops.push({ kind: "invalid", field });
  }

  /** Records a warning. */
  warn(path: string, message: string): void {
    this.warnings.push({ path, key: keyOfPath(path), message });
  }

  /** Records a change to a listener. */
  listener(
    target: { family: ListenerFamily; name: string },
    field: string,
    source: string,
    apply: (listener: ListenerConfig) => void,
  ): void {
    this.ops.push({
      kind: "listener",
      family: target.family,
      name: target.name,
      field,
      source,
      apply,
    });
  }

  /** Records a change to a global setting. */
  global(
    field: string,
    source: string,
    apply: (config: PosternConfig) => void,
  ): void {
    this.ops.push({ kind: "global", field, source, apply });
  }
}
