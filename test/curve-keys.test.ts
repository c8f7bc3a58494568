/**
 * CURVE key pairs (runtime/util/curve.ts): X25519 keys made by Node's crypto, for libzmq's CURVE,
 * whose own pairs are libsodium's.
 */
import t from "tap";
import { Dealer, Router } from "zeromq";
import { isKey, newKeyPair, type KeyPair } from "../runtime/util/curve.js";
import { runNode } from "./lib/cli.js";

/** Whether a CURVE client with `client`'s pair, trusting `serverKey`, gets a message to a CURVE server with `server`'s pair. */
async function handshake(server: KeyPair, client: KeyPair, serverKey: string): Promise<boolean> {
  const router = new Router({ curveServer: true, curveSecretKey: server.secretKey, receiveTimeout: 3_000 });
  const dealer = new Dealer({ curveServerKey: serverKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, linger: 0 });
  try {
    await router.bind("tcp://127.0.0.1:*");
    dealer.connect(router.lastEndpoint!);
    await dealer.send("ping");
    const [, message] = await router.receive();
    return message?.toString() === "ping";
  } catch {
    return false; // the receive timed out: no handshake
  } finally {
    dealer.close();
    router.close();
  }
}

t.test("zeromq takes the pairs: a client gets through to the server whose public key it trusts, and not to another", async (t) => {
  const [server, client, other] = [newKeyPair(), newKeyPair(), newKeyPair()];
  t.ok(
    [server, client, other].every((pair) => isKey(pair.publicKey) && isKey(pair.secretKey)),
    "40 Z85 characters each",
  );
  t.equal(new Set([server, client, other].map((pair) => pair.secretKey)).size, 3, "no secret twice");
  t.equal(await handshake(server, client, server.publicKey), true, "the server's own public key");
  t.equal(await handshake(server, client, other.publicKey), false, "another pair's public key");
});

// Node 20 hung for good the former way (generateKeyPairSync, then a JWK export of each half) when a
// garbage collection during an export freed the job that made the key: a run's host hung at start,
// a few times in a few hundred runs of examples/library.mjs beside other tests. With a small young
// generation (collections ~16 times as often), 5,000 pairs that way hung in 3 runs of 3.
t.test("5,000 pairs in a row finish, collecting garbage often", { timeout: 120_000 }, async (t) => {
  const script = 'import { newKeyPair } from "./runtime/util/curve.js"; for (let i = 0; i < 5000; i++) newKeyPair(); console.log("done");';
  const args = ["--max-semi-space-size=1", "--import=./test/lib/ts-import.mjs", "--input-type=module", "-e", script];
  const { code, signal, stdout } = await runNode(args, { timeoutMs: 60_000 }); // a hang rejects: the test fails
  t.same({ code, signal, stdout: stdout.trim() }, { code: 0, signal: null, stdout: "done" }, "the loop finished");
});
