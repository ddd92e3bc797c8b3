/**
 * Who a presented credential is: the one place where an access token, a
 * user name and password, a PSK identity or a client certificate becomes a
 * store {@link Identity} (device or user name, the ACL subject). MQTT
 * CONNECT, CoAP requests (token in the path, DTLS session identity) and the
 * DTLS listener all resolve through it.
 *
 * - token: the device the token belongs to (`verifyToken`);
 * - password: the user (`verifyPassword`, constant work for unknown users);
 * - PSK identity: itself, while the store holds it (the DTLS handshake
 *   already proved the key);
 * - certificate chain (verified by the transport, leaf first): the device
 *   the store's rules map it to, the issuers' CNs included
 *   (`identifyCertificate`), else the part of the leaf `peerCertAsUsername`
 *   names (EMQX `peer_cert_as_username`, default `cn`); with `disabled` an
 *   unmapped certificate is nobody.
 *
 * @module
 */

import type { Certificate } from "../pki/mod.ts";
import type { CredentialStore, Identity } from "./store.ts";
import { certificateUsername, type PeerCertAsUsername } from "./identity.ts";

/**
 * A credential as a transport presents it.
 *
 * @example
 * ```ts
 * import type { PresentedCredential } from "./credential.ts";
 *
 * const presented: PresentedCredential[] = [
 *   { kind: "token", token: "A1b2C3d4E5f6G7h8I9j0" },
 *   { kind: "psk", identity: "sensor-7" },
 * ];
 * ```
 */
export type PresentedCredential =
  | { readonly kind: "token"; readonly token: string }
  | {
    readonly kind: "password";
    readonly username: string;
    readonly password: string | Uint8Array;
  }
  | { readonly kind: "psk"; readonly identity: string }
  | {
    readonly kind: "x509";
    /** The verified path, leaf first. */
    readonly chain: readonly Certificate[];
    /** What names a certificate no rule names (default `cn`). */
    readonly peerCertAsUsername?: PeerCertAsUsername;
  };

/**
 * Resolves a presented credential to its store identity.
 *
 * @param store The credential store.
 * @param credential What the client presented.
 * @returns The identity, or `undefined` when the store does not know it.
 *
 * @example
 * ```ts
 * import { identifyCredential } from "./credential.ts";
 * import { MemoryStore } from "./memory_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore();
 * const { token } = await store.addToken("thermostat");
 * await store.addPsk("sensor-7", new Uint8Array(16));
 * assert.equal((await identifyCredential(store, { kind: "token", token }))?.subject, "thermostat");
 * assert.deepEqual(await identifyCredential(store, { kind: "psk", identity: "sensor-7" }), { subject: "sensor-7", kind: "psk", credentialId: "sensor-7" });
 * assert.equal(await identifyCredential(store, { kind: "token", token: "nope" }), undefined);
 * await store.close();
 * ```
 */
export async function identifyCredential(
  store: CredentialStore,
  credential: PresentedCredential,
): Promise<Identity | undefined> {
  switch (credential.kind) {
    case "token":
      return await store.verifyToken(credential.token);
    case "password":
      return await store.verifyPassword(
        credential.username,
        credential.password,
      );
    case "psk":
      return await store.lookupPsk(credential.identity) === undefined
        ? undefined
        : {
          subject: credential.identity,
          kind: "psk",
          credentialId: credential.identity,
        };
    case "x509": {
      const [leaf, ...issuers] = credential.chain;
      if (leaf === undefined) return undefined;
      const fallbackSubject = certificateUsername(
        leaf,
        credential.peerCertAsUsername ?? "cn",
      );
      return await store.identifyCertificate(leaf, {
        issuers,
        ...(fallbackSubject === undefined ? {} : { fallbackSubject }),
      });
    }
  }
}
