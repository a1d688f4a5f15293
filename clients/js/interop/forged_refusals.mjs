// Forged refusals are not acted on by the JS client (run by tests/integration/test_forged_refusals.py).
// The server is behind a forging loopback proxy: a request carrying `X-Test-Forge: NAME` is relayed
// to the server (which sees and spends its nonce) and answered with the forgery NAME instead. The
// client must throw UnverifiedRefusalError for each forgery, keep its credentials and its clock,
// and its next request (not forged) must pass; a genuine refusal through the same proxy verifies.
//
//   node clients/js/interop/forged_refusals.mjs CONFIG.json
//
// CONFIG: {"baseUrl", "keyId", "secret", "forgeries": [{"name", "status", "claimedCode"}]}.
// Prints one JSON line per check; exits 1 at the first failure.
import { readFileSync } from "node:fs";
import { MemoryKeyStore, SignedApiClient, Signer, UnverifiedRefusalError } from "../src/index.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));

function check(name, condition, detail = {}) {
  console.log(JSON.stringify({ check: name, ok: !!condition, ...detail }));
  if (!condition) {
    console.error(`FAILED: ${name} ${JSON.stringify(detail)}`);
    process.exit(1);
  }
}

/** What an app does: drops its credentials on key_revoked / session_expired, backs off on a 503,
 * and never acts on a refusal the client would not vouch for. */
class App {
  constructor(client) {
    this.client = client;
    this.backingOff = false;
    this.ignored = [];
  }

  async notes(forge) {
    if (!this.client.auth) return null;
    try {
      const response = await this.client.request("/api/notes/", forge ? { headers: { "X-Test-Forge": forge } } : {});
      const body = response.status >= 400 ? await response.json() : null;
      if (body && ["key_revoked", "session_expired"].includes(body.code)) this.client.setAuth(null);
      else if (response.status === 503) this.backingOff = true;
      return response;
    } catch (e) {
      if (e instanceof UnverifiedRefusalError) {
        this.ignored.push(e);
        return null;
      }
      throw e;
    }
  }
}

function client(signer) {
  return new SignedApiClient({ baseUrl: config.baseUrl, auth: signer, keyStore: new MemoryKeyStore() });
}

// A genuine refusal (a request signed with a wrong secret) verifies by the server key and is returned.
{
  const wrong = new Signer({ keyId: config.keyId, key: Buffer.alloc(32).toString("base64url") });
  const response = await client(wrong).request("/api/notes/");
  const body = await response.json();
  check("a genuine refusal verifies by the server key", response.status === 401 && response.verification.verified
    && /^srv_/.test(response.verification.keyId), { status: response.status, code: body.code, verification: response.verification });
}

for (const forgery of config.forgeries) {
  const signer = new Signer({ keyId: config.keyId, key: config.secret });
  const app = new App(client(signer));
  const offset = signer.clockOffset;
  const answer = await app.notes(forgery.name);
  const [error] = app.ignored;
  check(`${forgery.name}: UnverifiedRefusalError`, answer === null && error instanceof UnverifiedRefusalError
    && error.status === forgery.status && error.claimedCode === forgery.claimedCode,
  { name: forgery.name, status: error && error.status, claimedCode: error && error.claimedCode, reason: error && error.reason });
  check(`${forgery.name}: credentials kept`, app.client.auth === signer && !app.backingOff && signer.clockOffset === offset,
    { name: forgery.name, reason: error.reason, clockOffset: signer.clockOffset });
  const next = await app.notes(null);
  check(`${forgery.name}: the next request passes`, next && next.status === 200 && next.verification.verified,
    { name: forgery.name, status: next && next.status });
}
console.log(JSON.stringify({ done: true }));
