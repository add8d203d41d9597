// The receptionist in the real app in its real webview against its built-in switch (vaxel.toml
// in the app's data folder with four users and a 6 s transfer recall). Anna is the operator and
// uses the app; Bertil and Cecilia are baresip phones; David (a fourth baresip phone) stands in
// for an outside caller. David calls Anna; she finds Bertil by name and transfers David there
// with the search hit's "Transfer here"; Bertil does not answer, the call comes back and rings
// the app marked as a recall, and Anna answers it. Then Cecilia is busy on a call with Bertil:
// Anna camps David on her from the search hit; the call waits in Cecilia's personal queue and
// rings her as soon as her call ends. Screenshots go to test-output/webview/.
// Audio through transfer, recall and parking is checked in crates/vaxel/tests/interop_*.rs;
// here SIP and UI states are checked, as in park.test.mjs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Baresip } from "./baresip.mjs";
import { freePort, repo, startApp, waitFor } from "./harness.mjs";
import { passwordEnv, switchApi, userToml } from "./switch.mjs";

const passwords = {
  anna: "anna-hemligt-1",
  bertil: "bertil-hemligt-2",
  cecilia: "cecilia-hemligt-3",
  david: "david-hemligt-4",
};
const RECALL_SECS = 6;
let app;
let driver;
let bertil;
let cecilia;
let david;
let api;
let sip;
let domain;
let annaToken;
let ceciliaToken;
/** Whether the first test got as far as Anna talking to David again after the recall. */
let talkingAfterRecall = false;

function switchConfig() {
  const user = (username, name, title, short) => userToml({ username, name, title, short });
  return `[server]
sip_bind = "127.0.0.1:${sip}"
api_bind = "127.0.0.1:${api}"

[transfer]
recall_secs = ${RECALL_SECS}
${user("anna", "Anna Andersson", "Receptionist", "201")}
${user("bertil", "Bertil Berg", "Tekniker", "202")}
${user("cecilia", "Cecilia Ek", "Ekonom", "203")}
${user("david", "David Dahl", "Kund", "204")}
`;
}

const apiCall = switchApi(() => api);

/** The held calls the switch lists for `token`, once `done(list)` holds. */
function parkedWhen(what, token, done, timeout) {
  return waitFor(
    what,
    async () => {
      const list = await apiCall("GET", "/parked", token);
      return done(list) ? list : null;
    },
    timeout,
  );
}

/** David's call to a peer matching `peer` ended, when it did. */
const davidClosed = (peer) => david.events.find((e) => e.type === "CALL_CLOSED" && peer.test(e.peeruri ?? ""));

/** Runs `script` in the webview with `args` and returns its result. */
function run(script, ...args) {
  return driver.call("POST", driver.s("/execute/sync"), { script, args });
}

/** The `data-state` of every held call's state in the app, by the switch's id. */
const heldStates = () =>
  run(`return Object.fromEntries(Array.from(document.querySelectorAll('[data-testid^="parked-state-"]'),
    (e) => [e.dataset.testid.slice("parked-state-".length), e.dataset.state]))`);

/** The DOM text of held call `id` in the app ("" when not listed). */
const heldText = (id) =>
  run("const e = document.querySelector(arguments[0]); return e ? e.textContent : ''", `[data-testid="parked-${id}"]`);

/** Searches for `text`, replacing what the search box held. */
async function search(text) {
  const box = await driver.find('[data-testid="search"]');
  await driver.call("POST", driver.s(`/element/${box}/clear`), {});
  await driver.type(box, text);
}

/**
 * The element matching `css` in the search hit whose text matches `name`, once there (looked up
 * afresh each time: the results are rendered again when a colleague's presence changes).
 */
function inHit(name, css, timeout = 20000) {
  return waitFor(`${css} in the search hit for ${name}`, async () => {
    for (const hit of await driver.findAll('[data-testid="hit"]')) {
      if (!name.test(await driver.text(hit))) continue;
      const found = await driver.call("POST", driver.s(`/element/${hit}/elements`), { using: "css selector", value: css });
      if (found.length > 0) return Object.values(found[0])[0];
    }
    return null;
  }, timeout);
}

/** The baresip event of `type` whose peer URI matches `peer`, once there. */
function eventOf(phone, what, type, peer, timeout) {
  return waitFor(
    `${what} (seen: ${phone.events.map((e) => `${e.type} ${e.peeruri ?? ""}`).join(", ")})`,
    () => phone.events.find((e) => e.type === type && peer.test(e.peeruri ?? "")),
    timeout,
  );
}

before(async () => {
  sip = await freePort();
  api = await freePort();
  const env = passwordEnv(passwords);
  app = await startApp({ shots: join(repo, "test-output/webview"), files: { "vaxel.toml": switchConfig() }, env });
  driver = app.driver;
});

after(async () => {
  bertil?.stop();
  cecilia?.stop();
  david?.stop();
  await app?.stop();
});

test("receptionist: transfer from a search hit; unanswered, the call comes back and Anna answers it", async () => {
  await driver.type(await driver.waitFor('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), passwords.anna);
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  await driver.waitFor('[data-testid="registration"]', { text: (t) => /anna/i.test(t), timeout: 30000 });

  domain = `127.0.0.1:${sip}`;
  const dir = mkdtempSync(join(tmpdir(), "koppla-webview-reception-"));
  bertil = await Baresip.start({ dir, user: "bertil", password: passwords.bertil, domain });
  cecilia = await Baresip.start({ dir, user: "cecilia", password: passwords.cecilia, domain });
  david = await Baresip.start({ dir, user: "david", password: passwords.david, domain });
  await bertil.waitRegistered();
  await cecilia.waitRegistered();
  await david.waitRegistered();
  ({ token: annaToken } = await apiCall("POST", "/login", null, { username: "anna", password: passwords.anna }));
  ({ token: ceciliaToken } = await apiCall("POST", "/login", null, { username: "cecilia", password: passwords.cecilia }));
  assert.deepEqual((await apiCall("GET", "/parked", annaToken)).calls, [], "nothing is held at the start");

  // 1. David calls Anna; she answers in the app.
  await david.command(`dial sip:anna@${domain}`);
  await driver.waitFor('[data-testid="calls"]', { text: (t) => /David Dahl/.test(t), timeout: 30000 });
  await driver.click(await driver.waitFor('[data-testid="call-answer"]', { timeout: 30000 }));
  await david.waitEvent("CALL_ESTABLISHED");
  await driver.waitFor('[data-testid="call-timer"]');
  await app.shot("reception-answered");

  // 2. She finds Bertil by name and transfers David there from the hit.
  david.events.length = 0;
  await search("Bertil");
  const transferHere = await inHit(/Bertil Berg/, '[data-testid="hit-transfer"]');
  await app.shot("reception-search-bertil");
  await driver.click(transferHere);
  // Her call ends; the ended card says it was transferred.
  await driver.waitGone('[data-testid="call-timer"]', 30000);
  await driver.waitFor('[data-testid="call-phase"]', { text: (t) => /Kopplat vidare|Transferred/.test(t) });
  // David's phone follows the transfer to Bertil's number; the switch answers it and rings Bertil.
  await eventOf(david, "David's call to Bertil", "CALL_ESTABLISHED", /202|bertil/);
  const ringing = await bertil.waitEvent("CALL_INCOMING");
  assert.match(ringing.peeruri ?? "", /david/, "Bertil's phone shows David calling");
  const transfer = await parkedWhen("the transfer ringing at Bertil", annaToken, (l) => l.calls.length === 1);
  const [held] = transfer.calls;
  assert.equal(held.state, "ringing");
  assert.equal(held.owner, "anna");
  assert.equal(held.caller, "david");
  assert.equal(held.target, "bertil");
  await waitFor("the transfer ringing at Bertil in the app", async () => (await heldStates())[held.id] === "ringing");
  assert.match(await heldText(held.id), /David Dahl/);
  assert.match(await heldText(held.id), /Bertil Berg/);
  assert.equal((await driver.findAll('[data-testid="call-answer"], [data-testid="call-timer"]')).length, 0);
  await app.shot("reception-transfer-ringing");

  // 3. Nobody answers: after the recall time Bertil stops ringing and the call rings the app again.
  const transferredAt = Date.now();
  await driver.waitFor('[data-testid="call-recall"]', { timeout: (RECALL_SECS + 15) * 1000 });
  const tookMs = Date.now() - transferredAt;
  assert.ok(tookMs > (RECALL_SECS - 2) * 1000, `the call came back after ${tookMs} ms, before the recall time`);
  await bertil.waitEvent("CALL_CLOSED", 5000);
  await driver.waitFor('[data-testid="call-answer"]');
  assert.match(await driver.text(await driver.find('[data-testid="calls"]')), /David Dahl/);
  // The switch lists it again, under a new id, as come back from Bertil.
  const recalled = await parkedWhen("the call back with Anna", annaToken, (l) => l.calls[0]?.state === "recalled");
  assert.equal(recalled.calls.length, 1);
  const [back] = recalled.calls;
  assert.equal(back.owner, "anna");
  assert.equal(back.caller, "david");
  assert.equal(back.target, "bertil");
  let states;
  await waitFor("the call listed as come back in the app", async () => {
    states = await heldStates();
    return Object.keys(states).length === 1 && states[back.id] === "recalled";
  }).catch((err) => {
    throw new Error(`${err.message}; the app lists ${JSON.stringify(states)}, the switch ${JSON.stringify(recalled)}`);
  });
  assert.match(await heldText(back.id), /David Dahl/);
  assert.match(await heldText(back.id), /Tillbaka från Bertil Berg|Back from Bertil Berg/);
  await app.shot("reception-recall-ringing");

  // Anna answers in the app and talks to David again (his call to Bertil's number never ended).
  await driver.click(await driver.find('[data-testid="call-answer"]'));
  await driver.waitFor('[data-testid="call-timer"]', { timeout: 20000 });
  await driver.waitGone('[data-testid="parked"]', 20000);
  await parkedWhen("the held list emptied", annaToken, (l) => l.calls.length === 0);
  const timer = await driver.text(await driver.find('[data-testid="call-timer"]'));
  await driver.waitFor('[data-testid="call-timer"]', { text: (t) => t !== timer, timeout: 5000 });
  assert.equal(davidClosed(/202/), undefined, "David is still on the line");
  assert.match(await driver.text(await driver.find('[data-testid="calls"]')), /David Dahl/);
  await app.shot("reception-recall-answered");

  // A typed number gets its own row with "Transfer here"; one nobody has is refused: the app
  // says so and the call stays with Anna.
  await search("12345");
  await driver.click(await driver.waitFor('[data-testid="typed-transfer"]'));
  await driver.waitFor('[data-testid="notice"]', {
    text: (t) => /kopplingen gick inte igenom|the transfer did not go through/.test(t),
    timeout: 20000,
  });
  await app.shot("reception-transfer-refused");
  assert.equal((await driver.findAll('[data-testid="call-timer"]')).length, 1, "the call is still Anna's");
  assert.equal(davidClosed(/202/), undefined, "David is still on the line");
  talkingAfterRecall = true;
});

test("receptionist: camp the call on a busy colleague; it rings her as soon as her call ends", async () => {
  try {
    await campOnBusyColleague();
  } catch (err) {
    await app.shot("reception-camp-on-failed").catch(() => {});
    throw err;
  }
});

/** Steps 4 and 5: Anna camps David on Cecilia, who is on a call; her call ends and his rings her. */
async function campOnBusyColleague() {
  assert.ok(talkingAfterRecall, "the first test left Anna talking to David");

  // 4. Cecilia gets busy: Bertil calls her and she answers.
  bertil.events.length = 0;
  cecilia.events.length = 0;
  await bertil.command(`dial sip:203@${domain}`);
  await cecilia.waitEvent("CALL_INCOMING");
  await cecilia.command("accept");
  await cecilia.waitEvent("CALL_ESTABLISHED");
  await bertil.waitEvent("CALL_ESTABLISHED");
  cecilia.events.length = 0;
  // The switch says she is on a call: her hit is marked so and offers camp-on.
  await search("Cecilia");
  await inHit(/Cecilia Ek/, '[data-testid="hit-on-call"]');
  const campOn = await inHit(/Cecilia Ek/, '[data-testid="hit-camp-on"]');
  await app.shot("reception-search-cecilia-busy");

  david.events.length = 0;
  await driver.click(campOn);
  await driver.waitGone('[data-testid="call-timer"]', 30000);
  await driver.waitFor('[data-testid="call-phase"]', { text: (t) => /Kopplat vidare|Transferred/.test(t) });
  // The call that came back is the switch's own leg to Anna: the switch carries the camp-on out
  // itself and David's call goes on (hold audio) without a new call from his phone.
  const camped = await parkedWhen("David waiting at Cecilia", ceciliaToken, (l) => l.calls.length === 1);
  const [wait] = camped.calls;
  assert.equal(wait.state, "parked");
  assert.equal(wait.owner, "cecilia");
  assert.equal(wait.caller, "david");
  assert.equal(wait.by, "anna", `the switch knows Anna camped the call: ${JSON.stringify(wait)}`);
  await waitFor("David waiting at Cecilia in the app", async () => (await heldStates())[wait.id] === "parked");
  assert.match(await heldText(wait.id), /Cecilia Ek/);
  assert.match(await heldText(wait.id), /parkerad av dig|parked by you/);
  assert.equal(
    cecilia.events.some((e) => e.type === "CALL_INCOMING"),
    false,
    "Cecilia is not rung while on her call",
  );
  await app.shot("reception-camped");

  // 5. Cecilia's call ends: the camped call rings her at once and she takes it.
  await cecilia.command("hangup");
  await bertil.waitEvent("CALL_CLOSED");
  const rangAt = Date.now();
  const incoming = await cecilia.waitEvent("CALL_INCOMING", 5000);
  assert.ok(Date.now() - rangAt < 5000);
  assert.match(incoming.peeruri ?? "", /david|\*6/, `Cecilia is rung with David's call: ${JSON.stringify(incoming)}`);
  await cecilia.command("accept");
  await cecilia.waitEvent("CALL_ESTABLISHED");
  await driver.waitGone('[data-testid="parked"]', 20000);
  await parkedWhen("the held list emptied", ceciliaToken, (l) => l.calls.length === 0);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(davidClosed(/202/), undefined, "David is still on the line");
  await app.shot("reception-camped-answered");

  // Cecilia hangs up: David's call ends with hers.
  await cecilia.command("hangup");
  await eventOf(david, "David's call ending with Cecilia's", "CALL_CLOSED", /202/);
}
