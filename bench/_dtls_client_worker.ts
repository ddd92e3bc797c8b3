/**
 * The client side of `bench/dtls_load.ts`'s server-CPU figures, in a Web
 * Worker: its own V8 isolate and heap, so neither its JavaScript nor its
 * garbage collection lands in the server's CPU windows. The main thread
 * sends datagrams and gets back the client's answers; the two never run at
 * the same time.
 *
 * Messages in: `{ kind: "init", mode, suite, caPem? }`, `{ kind: "start" }`,
 * `{ kind: "input", datagrams }`, and for a batch of clients handshaking
 * side by side `{ kind: "startBatch", count }`, `{ kind: "inputBatch",
 * datagrams }` (one list per client). Messages out: `{ kind: "ready" }`,
 * `{ kind: "output", datagrams, established }` and `{ kind: "outputBatch",
 * datagrams, established }` (lists per client).
 *
 * @module
 */

import { DtlsAssociation } from "../src/dtls/association.ts";
import { parseCertificatePem } from "../src/pki/mod.ts";
import type { ClientHandshakeConfig } from "../src/tls/handshake/types.ts";

interface Init {
  readonly kind: "init";
  readonly mode: "psk" | "ecdhe";
  readonly suite: string;
  readonly psk: Uint8Array;
  readonly caPem?: string;
}

type Message =
  | Init
  | { readonly kind: "start"; readonly now: number }
  | {
    readonly kind: "input";
    readonly now: number;
    readonly datagrams: Uint8Array[];
  }
  | {
    readonly kind: "startBatch";
    readonly now: number;
    readonly count: number;
  }
  | {
    readonly kind: "inputBatch";
    readonly now: number;
    readonly datagrams: Uint8Array[][];
  };

/** The worker's global scope (this file runs only as a Web Worker). */
const scope = self as unknown as {
  postMessage(message: unknown): void;
  onmessage: ((e: MessageEvent<Message>) => void) | null;
};

let config: ClientHandshakeConfig | undefined;
let client: DtlsAssociation | undefined;
let batch: DtlsAssociation[] = [];

function drain(a: DtlsAssociation): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d; (d = a.pollTransmit()) !== undefined;) out.push(d);
  return out;
}

function replyBatch(): void {
  scope.postMessage({
    kind: "outputBatch",
    datagrams: batch.map(drain),
    established: batch.map((a) => a.established),
  });
}

function reply(): void {
  const datagrams: Uint8Array[] = [];
  for (let d; (d = client!.pollTransmit()) !== undefined;) datagrams.push(d);
  scope.postMessage({
    kind: "output",
    datagrams,
    established: client!.established,
  });
}

scope.onmessage = async (e: MessageEvent<Message>) => {
  const m = e.data;
  switch (m.kind) {
    case "init":
      config = m.mode === "psk"
        ? { psk: { identity: "bench", key: m.psk }, cipherSuites: [m.suite] }
        : {
          trustAnchors: parseCertificatePem(m.caPem!),
          cipherSuites: [m.suite],
        };
      scope.postMessage({ kind: "ready" });
      return;
    case "start":
      client = new DtlsAssociation({ role: "client", client: config! });
      client.start(m.now);
      reply();
      return;
    case "input":
      for (const d of m.datagrams) await client!.handleInput(m.now, d);
      reply();
      return;
    case "startBatch":
      batch = [];
      for (let i = 0; i < m.count; i++) {
        const a = new DtlsAssociation({ role: "client", client: config! });
        a.start(m.now);
        batch.push(a);
      }
      replyBatch();
      return;
    case "inputBatch":
      for (let i = 0; i < batch.length; i++) {
        for (const d of m.datagrams[i] ?? []) {
          await batch[i]!.handleInput(m.now, d);
        }
      }
      replyBatch();
      return;
  }
};
