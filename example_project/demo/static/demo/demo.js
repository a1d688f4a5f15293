// The demo page's script (an ES module, loaded after the client's bundle; no inline script).
//
// It logs in through the JavaScript client (a device-bound key by default), lists and adds notes
// with signed requests, in the clear or through Oblivious HTTP, and logs every response with the
// result of its signature check. Secrets stay in memory: the device key is a non-extractable
// CryptoKey in IndexedDB (the client's key store), an hmac session's secret lives in the
// client's signer, a challenge token in a variable; nothing goes to a URL or to localStorage.

const root = document.getElementById("demo");
const config = root.dataset;
const SignedApi = globalThis.SignedApi ?? (await import(config.bundle));
const { SignedApiClient, IndexedDBKeyStore, MemoryKeyStore, SignedApiError } = SignedApi;

const $ = (id) => document.getElementById(id);
const origin = globalThis.location.origin;
const gatewayUrl = new URL(config.gatewayPath, origin).href;
const notesPath = config.notesPath;
const authPath = config.authPath;

// One key store for every client: the device key made at login signs in both transports.
const keyStore = globalThis.indexedDB ? new IndexedDBKeyStore() : new MemoryKeyStore();

function makeClient({ ohttp = false, fetch = undefined, auth = null } = {}) {
  return new SignedApiClient({
    baseUrl: origin,
    authPath,
    jwksPath: config.jwksPath,
    auth,
    // The client's own calls (the login, the code) throw unless the answer verifies: the server
    // signs every answer with its key (the JWKS), those to unsigned requests included. The page's
    // requests (send() below) ask for "report" instead, so a refusal or a changed response is
    // shown with its check rather than thrown.
    verifyResponses: "require",
    requireSignedAnswers: true,
    ohttp: ohttp ? { gatewayUrl } : false,
    keyStore,
    fetch,
    // Signed requests need no cookie; an admin's session cookie is never sent along.
    credentials: "omit",
  });
}

const clients = { clear: makeClient(), ohttp: makeClient({ ohttp: true }) };
const state = { username: null, session: null, challenge: null, challengeVia: null };

const viaOhttp = () => $("use-ohttp").checked;
const current = () => (viaOhttp() ? clients.ohttp : clients.clear);

// -- what the page shows ---------------------------------------------------------------------
function setState(name, message) {
  root.dataset.state = name;
  if (message !== undefined) $("status").textContent = message;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function describeVerification(verification) {
  if (verification.verified) {
    const by = [verification.keyId, verification.algorithm].filter(Boolean).join(", ");
    return `signature verified${by ? ` (${by})` : ""}`;
  }
  return `signature not verified: ${verification.code ?? "unknown"}`;
}

// One line of the response log. `verified` is "true", "false" or "none" (an unsigned request,
// such as a login: its answer carries no signature to check).
function logEntry({ method, path, status, via, verified, verification, code, note }) {
  const item = element("li", undefined, "entry");
  item.dataset.method = method;
  item.dataset.path = path;
  item.dataset.status = String(status ?? "");
  item.dataset.via = via;
  item.dataset.verified = verified;
  item.dataset.verification = verification ?? "";
  item.dataset.code = code ?? "";
  item.classList.add(verified === "false" || code ? "bad" : "good");
  item.append(
    element("span", `${method} ${path}`, "request"),
    element("span", via === "ohttp" ? "OHTTP" : "clear", `via ${via}`),
    element("span", status ? String(status) : "no answer", "status"),
  );
  if (verified === "true") item.append(element("span", `✓ ${note}`, "sig verified"));
  else if (verified === "false") item.append(element("span", `✗ ${note}`, "sig failed"));
  else item.append(element("span", note, "sig none"));
  if (code) item.append(element("span", `code: ${code}`, "code"));
  $("log").prepend(item);
  return item;
}

async function errorCodeOf(response) {
  if (response.ok) return null;
  try {
    const body = await response.json();
    return (body && typeof body.code === "string" && body.code) || `http_${response.status}`;
  } catch {
    return `http_${response.status}`;
  }
}

function relative(url) {
  const parsed = new URL(url, origin);
  return parsed.pathname + parsed.search;
}

// A request through `client`, logged with its signature check; returns the SignedResponse, or
// null when no answer could be read (network, Oblivious HTTP or signing failure: logged too).
async function send(method, path, { json, client = current(), signed = true } = {}) {
  const via = client === clients.ohttp || client.__ohttp ? "ohttp" : "clear";
  let response;
  try {
    const options = { method, verifyResponses: "report" };
    response = await client.request(path, json === undefined ? options : { ...options, json });
  } catch (error) {
    const code = error instanceof SignedApiError ? error.code : "network_error";
    logEntry({ method, path: relative(path), status: error.status ?? null, via, verified: "false",
               verification: code, code, note: error.message || String(error) });
    return null;
  }
  const code = await errorCodeOf(response);
  const verification = response.verification;
  let verified = "none";
  let note = "unsigned request: nothing to verify";
  if (signed && client.auth) {
    verified = verification.verified ? "true" : "false";
    note = describeVerification(verification);
  } else if (verification.verified) {
    verified = "true";
    note = describeVerification(verification);
  }
  if (!response.ok && !verification.verified) {
    // The server signs its refusals too: one that does not verify is not to be believed.
    note = `refused, and the refusal does not verify (${verification.code ?? "no signature"})`;
  }
  logEntry({ method, path: relative(path), status: response.status,
             via: response.viaOhttp ? "ohttp" : "clear", verified,
             verification: verification.verified ? "" : verification.code, code, note });
  response.demoCode = code;
  return response;
}

// -- logging in ------------------------------------------------------------------------------
function showLoggedIn(session, via) {
  state.session = session;
  for (const client of Object.values(clients)) client.setAuth(session.signer);
  $("session-user").textContent = state.username;
  $("session-id").textContent = session.id;
  $("session-key").textContent = session.deviceBound
    ? `a device key of this browser (${session.algorithm}, thumbprint ${session.keyThumbprint}); ` +
      "responses are signed by the server's key"
    : `the session's secret (${session.algorithm}), in this page's memory only`;
  $("session-expires").textContent = session.expiresAt ?? "";
  $("login-form").hidden = true;
  $("code-form").hidden = true;
  $("session-section").hidden = false;
  $("notes-section").hidden = false;
  setState("logged-in", `Logged in as ${state.username} (${via === "ohttp" ? "through Oblivious HTTP" : "in the clear"}).`);
}

function showLoggedOut(message) {
  state.session = null;
  state.challenge = null;
  for (const client of Object.values(clients)) client.setAuth(null);
  $("login-form").hidden = false;
  $("code-form").hidden = true;
  $("session-section").hidden = true;
  $("notes-section").hidden = true;
  $("totp-enrol").hidden = true;
  $("notes").replaceChildren();
  $("password").value = "";
  setState("logged-out", message);
}

function loginFailed(error, via, path) {
  const code = error instanceof SignedApiError ? error.code : "network_error";
  let message = `Refused: ${code}`;
  if (error.attemptsRemaining != null) message += ` (${error.attemptsRemaining} attempts left)`;
  logEntry({ method: "POST", path, status: error.status ?? null, via, verified: "none", code,
             note: "unsigned request: nothing to verify" });
  return message;
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const client = current();
  const via = viaOhttp() ? "ohttp" : "clear";
  const path = `${authPath}sessions/`;
  state.username = $("username").value;
  setState("working", "Logging in…");
  let result;
  try {
    result = await client.login({
      username: state.username,
      password: $("password").value,
      deviceKey: $("device-bound").checked,
      deviceName: "signed_api demo page",
    });
  } catch (error) {
    setState("logged-out", loginFailed(error, via, path));
    return;
  } finally {
    $("password").value = "";
  }
  const status = result.status === "challenge" ? 202 : 201;
  logEntry({ method: "POST", path, status, via, verified: "true",
             note: "signature verified (the server's key; required before the login is accepted)" });
  if (result.status === "challenge") {
    state.challenge = result.challenge;
    state.challengeVia = client;
    $("login-form").hidden = true;
    $("code-form").hidden = false;
    $("code").value = "";
    $("code").focus();
    setState("challenge", "Password accepted: now the code of your second factor.");
  } else {
    showLoggedIn(result.session, via);
    await listNotes();
  }
});

$("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const client = state.challengeVia ?? current();
  const via = client === clients.ohttp ? "ohttp" : "clear";
  const path = `${authPath}sessions/${state.challenge.id}/verify/`;
  const code = $("code").value.trim();
  $("code").value = "";
  setState("working", "Checking the code…");
  let result;
  try {
    result = await client.verifyCode(state.challenge, code);
  } catch (error) {
    const message = loginFailed(error, via, path);
    if (error.code === "otp_invalid") {
      setState("challenge", message);
    } else {
      showLoggedOut(message);
    }
    return;
  }
  logEntry({ method: "POST", path, status: 201, via, verified: "true",
             note: "signature verified (the server's key; required before the login is accepted)" });
  state.challenge = null;
  showLoggedIn(result.session, via);
  await listNotes();
});

$("code-cancel").addEventListener("click", () => showLoggedOut("Login cancelled."));

$("logout-button").addEventListener("click", async () => {
  const session = state.session;
  if (!session) return;
  await send("DELETE", `${authPath}sessions/${encodeURIComponent(session.id)}/`);
  showLoggedOut("Logged out; the session's key is refused from now on.");
});

$("forget-key-button").addEventListener("click", async () => {
  await keyStore.delete("device");
  setState(root.dataset.state, "This browser's device key is deleted; the next login makes a new one.");
});

// -- notes -----------------------------------------------------------------------------------
function showNotes(notes) {
  $("notes").replaceChildren(
    ...notes.map((note) => {
      const item = element("li", note.text, "note");
      item.dataset.id = String(note.id);
      item.title = note.created_at;
      return item;
    }),
  );
}

async function listNotes() {
  const response = await send("GET", notesPath);
  if (!response) return;
  if (!response.ok || !response.verification.verified) {
    setState("logged-in", "The list was not shown: its response did not verify.");
    return;
  }
  showNotes(await response.json());
}

$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("note-text").value;
  const response = await send("POST", notesPath, { json: { text } });
  if (response && response.ok && response.verification.verified) {
    $("note-text").value = "";
    setState("logged-in", "Note added.");
    await listNotes();
  } else {
    setState("logged-in", `Not added: ${response ? response.demoCode || response.verification.code : "no answer"}`);
  }
});

$("notes-refresh").addEventListener("click", () => listNotes());

// -- a second factor -------------------------------------------------------------------------
$("totp-start").addEventListener("click", async () => {
  const response = await send("POST", `${authPath}totp/`);
  if (!response || !response.ok || !response.verification.verified) return;
  const body = await response.json();
  if (body.qr_svg) {
    $("totp-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(body.qr_svg)}`;
    $("totp-qr").hidden = false;
  } else {
    $("totp-qr").hidden = true;
  }
  $("totp-uri").textContent = body.otpauth_uri;
  $("totp-enrol").hidden = false;
  $("recovery").hidden = true;
  setState("logged-in", "Scan the QR code, then confirm with a code.");
});

$("totp-confirm-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = $("totp-code").value.trim();
  $("totp-code").value = "";
  const response = await send("POST", `${authPath}totp/confirm/`, { json: { code } });
  if (!response || !response.ok || !response.verification.verified) {
    setState("logged-in", `Not confirmed: ${response ? response.demoCode : "no answer"}`);
    return;
  }
  const body = await response.json();
  $("recovery-codes").replaceChildren(...body.recovery_codes.map((c) => element("li", c, "recovery-code")));
  $("totp-enrol").hidden = true;
  $("totp-uri").textContent = "";
  $("totp-qr").removeAttribute("src");
  $("recovery").hidden = false;
  setState("logged-in", "TOTP is on: log out and in again to use it.");
});

// -- refusals --------------------------------------------------------------------------------
// Messages changed after signing, as a proxy on the way could: the client's fetch is wrapped so
// that one space is appended to the body (still valid JSON, but no longer what was signed).
async function appendSpace(body) {
  const bytes = new Uint8Array(body instanceof ArrayBuffer ? body : await new Response(body).arrayBuffer());
  const changed = new Uint8Array(bytes.length + 1);
  changed.set(bytes);
  changed[bytes.length] = 0x20;
  return changed;
}

// The key configurations of the gateway (a GET) pass unchanged: the change is to the message.
function untouched(input, init) {
  const method = (input instanceof Request ? input.method : init?.method ?? "GET").toUpperCase();
  return method === "GET" && String(input instanceof Request ? input.url : input) === gatewayUrl;
}

async function requestChangingFetch(input, init = {}) {
  const method = (input instanceof Request ? input.method : init.method ?? "GET").toUpperCase();
  if (method === "GET" || method === "HEAD") return globalThis.fetch(input, init);
  if (input instanceof Request) {
    const body = await appendSpace(await input.arrayBuffer());
    return globalThis.fetch(new Request(input, { body }));
  }
  return globalThis.fetch(input, { ...init, body: await appendSpace(init.body ?? new Uint8Array()) });
}

async function responseChangingFetch(input, init) {
  const response = await globalThis.fetch(input, init);
  if (untouched(input, init)) return response;
  const body = await appendSpace(await response.arrayBuffer());
  return new Response(body, { status: response.status, statusText: response.statusText,
                              headers: response.headers });
}

function variant(options) {
  const client = makeClient({ ohttp: viaOhttp(), ...options });
  client.__ohttp = viaOhttp();
  return client;
}

$("tamper-request").addEventListener("click", async () => {
  const client = variant({ fetch: requestChangingFetch, auth: state.session?.signer ?? null });
  const response = await send("POST", notesPath, { json: { text: "changed after signing" }, client });
  setState("logged-in", `The changed request: ${response ? response.demoCode ?? "accepted?!" : "refused"}`);
});

$("tamper-response").addEventListener("click", async () => {
  const client = variant({ fetch: responseChangingFetch, auth: state.session?.signer ?? null });
  const response = await send("GET", notesPath, { client });
  const outcome = response ? response.verification.code ?? "verified?!" : "refused";
  setState("logged-in", `The changed response: ${outcome}`);
});

$("unsigned-request").addEventListener("click", async () => {
  const response = await send("GET", notesPath, { client: variant({ auth: null }), signed: false });
  setState("logged-in", `The unsigned request: ${response ? response.demoCode : "no answer"}`);
});

// -- ready -----------------------------------------------------------------------------------
$("login-button").disabled = false;
showLoggedOut("Ready: log in.");
root.dataset.ready = "true";
