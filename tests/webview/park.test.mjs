// Parking in the real app in its real webview against its built-in switch (vaxel.toml in the
// app's data folder with three colleagues). Anna uses the app; Bertil is a baresip phone;
// Cecilia is a second baresip phone plus a client on the switch's API. Bertil calls Anna, she
// parks him from the call card, the app lists him in her personal queue and Cecilia picks him
// up through the API on her phone. Then Bertil calls Cecilia, her phone parks him in Anna's
// personal queue (blind transfer to *6201), the app lists him and Anna takes him with one
// click: the app answers by itself. Screenshots go to test-output/webview/.
// Audio through parking and pickup is checked in crates/vaxel/tests/interop_park.rs; here the
// bridge is proven by signalling (one side hanging up ends the other's call).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Baresip } from "./baresip.mjs";
import { freePort, repo, startApp, waitFor } from "./harness.mjs";
import { passwordEnv, switchApi, userToml } from "./switch.mjs";

const passwords = { anna: "anna-hemligt-1", bertil: "bertil-hemligt-2", cecilia: "cecilia-hemligt-3" };
let app;
let driver;
let bertil;
let cecilia;
let api;
let sip;

function switchConfig() {
  const user = (username, name, title, short) => userToml({ username, name, title, short });
  return `[server]
sip_bind = "127.0.0.1:${sip}"
api_bind = "127.0.0.1:${api}"
${user("anna", "Anna Andersson", "Säljare", "201")}
${user("bertil", "Bertil Berg", "Tekniker", "202")}
${user("cecilia", "Cecilia Ek", "Växeltelefonist", "203")}
`;
}

const apiCall = switchApi(() => api);

/** The parked calls the switch lists for `token`, once `done(list)` holds. */
function parkedWhen(what, token, done) {
  return waitFor(what, async () => {
    const list = await apiCall("GET", "/parked", token);
    return done(list) ? list : null;
  });
}

/**
 * The DOM text of every element matching `css`. (WebKitWebDriver's element text leaves out the
 * parked caller's name, an ellipsised <strong> in a grid, although the screenshots show it.)
 */
function textContents(css) {
  return driver.call("POST", driver.s("/execute/sync"), {
    script: "return Array.from(document.querySelectorAll(arguments[0]), (e) => e.textContent)",
    args: [css],
  });
}

/** The texts of the app's parked calls (none when the section is hidden). */
const parkedRows = () => textContents('[data-testid="parked"] li');

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
  await app?.stop();
});

test("park a call from the call card for a colleague to pick up; take a call a colleague parked with one click", async () => {
  await driver.type(await driver.waitFor('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), passwords.anna);
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  await driver.waitFor('[data-testid="registration"]', { text: (t) => /anna/i.test(t), timeout: 30000 });

  const domain = `127.0.0.1:${sip}`;
  const dir = mkdtempSync(join(tmpdir(), "koppla-webview-park-"));
  bertil = await Baresip.start({ dir, user: "bertil", password: passwords.bertil, domain });
  cecilia = await Baresip.start({ dir, user: "cecilia", password: passwords.cecilia, domain });
  await bertil.waitRegistered();
  await cecilia.waitRegistered();
  const { token } = await apiCall("POST", "/login", null, { username: "cecilia", password: passwords.cecilia });
  assert.deepEqual((await apiCall("GET", "/parked", token)).calls, [], "nothing is parked at the start");

  // 1. Bertil calls Anna; she answers in the app and parks him from the call card.
  await bertil.command(`dial sip:anna@${domain}`);
  await driver.click(await driver.waitFor('[data-testid="call-answer"]', { timeout: 30000 }));
  await bertil.waitEvent("CALL_ESTABLISHED");
  await driver.waitFor('[data-testid="call-timer"]');
  assert.match(await driver.text(await driver.find('[data-testid="calls"]')), /Bertil Berg/);
  await app.shot("park-call");
  bertil.events.length = 0;
  await driver.click(await driver.waitFor('[data-testid="call-park"]'));

  // The call on the card ends; Bertil's phone follows the transfer to Anna's park code and waits there.
  // The ended card says so for a moment, then goes.
  await driver.waitGone('[data-testid="call-timer"]', 30000);
  await driver.waitFor('[data-testid="call-phase"]', { text: (t) => /Kopplat vidare|Transferred/.test(t) });
  await driver.waitGone('[data-testid="call-phase"]', 10000);
  await waitFor(
    "Bertil's call to Anna's personal queue",
    () => bertil.events.find((e) => e.type === "CALL_ESTABLISHED" && /\*6anna/.test(e.peeruri ?? "")),
  );
  await waitFor("Bertil parked in Anna's queue in the app", async () => {
    const rows = await parkedRows();
    return rows.length === 1 && /Bertil Berg/.test(rows[0]) && /Min kö|My queue/.test(rows[0]);
  }, 30000);
  assert.equal((await driver.findAll('[data-testid="call-answer"], [data-testid="call-hangup"]')).length, 0);
  assert.deepEqual(await textContents('[data-testid="parked-caller"]'), ["Bertil Berg"]);
  await app.shot("park-parked-mine");

  // Cecilia's client sees it in Anna's queue and may pick it up.
  const list = await parkedWhen("the call parked with Anna", token, (l) => l.calls.length === 1);
  assert.equal(list.may_pick_up, true);
  assert.equal(list.park_code, "*6");
  const [parked] = list.calls;
  assert.equal(parked.owner, "anna");
  assert.equal(parked.owner_name, "Anna Andersson");
  assert.equal(parked.caller, "bertil");
  assert.equal(parked.caller_name, "Bertil Berg");
  assert.equal((await driver.findAll(`[data-testid="parked-${parked.id}"]`)).length, 1, "the app lists the switch's id");

  // 2. Cecilia picks it up: her phone rings (asked to answer by itself) and she answers.
  await apiCall("POST", `/parked/${parked.id}/pickup`, token);
  await cecilia.waitEvent("CALL_INCOMING");
  await cecilia.command("accept");
  const established = await cecilia.waitEvent("CALL_ESTABLISHED");
  assert.match(established.peeruri ?? "", /bertil/, "Cecilia talks to Bertil");
  await driver.waitGone('[data-testid="parked"]', 20000);
  await parkedWhen("the parked list emptied", token, (l) => l.calls.length === 0);
  await app.shot("park-picked-up");
  // Bertil's call stays up (bridged to Cecilia now), and her hanging up ends it.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(bertil.events.some((e) => e.type === "CALL_CLOSED" && /\*6anna/.test(e.peeruri ?? "")), false);
  await cecilia.command("hangup");
  await cecilia.waitEvent("CALL_CLOSED");
  await waitFor("Bertil's parked call ending with Cecilia's", () =>
    bertil.events.find((e) => e.type === "CALL_CLOSED" && /\*6anna/.test(e.peeruri ?? "")),
  );

  // 3. Bertil calls Cecilia; her phone parks him in Anna's personal queue (*6 + Anna's 201).
  bertil.events.length = 0;
  cecilia.events.length = 0;
  await bertil.command(`dial sip:cecilia@${domain}`);
  await cecilia.waitEvent("CALL_INCOMING");
  await cecilia.command("accept");
  await cecilia.waitEvent("CALL_ESTABLISHED");
  await bertil.waitEvent("CALL_ESTABLISHED");
  bertil.events.length = 0;
  await cecilia.command(`transfer sip:*6201@${domain}`);
  await cecilia.waitEvent("CALL_CLOSED");
  await waitFor(
    "Bertil's call to Anna's personal queue",
    () => bertil.events.find((e) => e.type === "CALL_ESTABLISHED" && /\*6201/.test(e.peeruri ?? "")),
  );
  const second = await parkedWhen("the call Cecilia parked with Anna", token, (l) => l.calls.length === 1);
  assert.equal(second.calls[0].owner, "anna");
  assert.equal(second.calls[0].caller, "bertil");
  await waitFor("Bertil parked in Anna's queue by Cecilia, in the app", async () => {
    const rows = await textContents(`[data-testid="parked-${second.calls[0].id}"]`);
    return rows.length === 1 && /Bertil Berg/.test(rows[0]) && /Min kö|My queue/.test(rows[0]);
  }, 30000);
  assert.equal(
    (await driver.findAll('[data-testid="call-timer"], [data-testid="call-answer"]')).length,
    0,
    "no call in the app yet",
  );
  await app.shot("park-parked-by-colleague");

  // One click: the switch rings the app, which answers by itself.
  await driver.click(await driver.find('[data-testid="parked-pick-up"]'));
  await driver.waitFor('[data-testid="call-timer"]', { timeout: 20000 });
  assert.equal((await driver.findAll('[data-testid="call-answer"]')).length, 0, "the app did not ask to answer");
  assert.match(await driver.text(await driver.find('[data-testid="calls"]')), /Bertil Berg/);
  await driver.waitGone('[data-testid="parked"]', 20000);
  await parkedWhen("the parked list emptied", token, (l) => l.calls.length === 0);
  const timer = await driver.text(await driver.find('[data-testid="call-timer"]'));
  await driver.waitFor('[data-testid="call-timer"]', { text: (t) => t !== timer, timeout: 5000 });
  const closed = () => bertil.events.find((e) => e.type === "CALL_CLOSED" && /\*6201/.test(e.peeruri ?? ""));
  assert.equal(closed(), undefined, "Bertil is still on the line");
  await app.shot("park-taken");

  // Anna hangs up from the app: Bertil's call ends.
  await driver.click((await driver.findAll('[data-testid="call-hangup"]'))[0]);
  await waitFor("Bertil's call ending with Anna's", closed);
  await driver.waitGone('[data-testid="call-timer"]');
});

test("take the call ringing a colleague from her search hit; the app answers it by itself", async () => {
  const domain = `127.0.0.1:${sip}`;
  bertil.events.length = 0;
  cecilia.events.length = 0;
  await bertil.command(`dial sip:cecilia@${domain}`);
  await cecilia.waitEvent("CALL_INCOMING");

  // Cecilia's hit says she is on a call (ringing counts) and offers to take it.
  const search = await driver.find('[data-testid="search"]');
  await driver.type(search, "cec");
  await driver.waitFor('[data-testid="hit-on-call"]', { timeout: 20000 });
  await app.shot("park-colleague-ringing");
  await driver.click(await driver.waitFor('[data-testid="hit-pick-up"]'));

  // The switch rings the app with Bertil's call, the app answers, Cecilia's phone stops.
  await driver.waitFor('[data-testid="call-timer"]', { timeout: 20000 });
  assert.equal((await driver.findAll('[data-testid="call-answer"]')).length, 0, "the app did not ask to answer");
  assert.match(await driver.text(await driver.find('[data-testid="calls"]')), /Bertil Berg/);
  await cecilia.waitEvent("CALL_CLOSED");
  await bertil.waitEvent("CALL_ESTABLISHED");
  await app.shot("park-colleague-picked-up");

  await driver.click((await driver.findAll('[data-testid="call-hangup"]'))[0]);
  await bertil.waitEvent("CALL_CLOSED");
  await driver.waitGone('[data-testid="call-timer"]');
});
