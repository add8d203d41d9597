// The real app in its real webview against its built-in switch, configured through vaxel.toml
// in the app's data folder with three colleagues: Anna uses the app, Bertil is a baresip phone,
// Cecilia is a second client on the switch's API. Anna finds Bertil by name and calls him,
// holds, transfers him to the echo number; Bertil calls back and Anna answers; Anna changes
// her activity and Cecilia sees it live, and Cecilia's change shows up in Anna's search.
// Screenshots go to test-output/webview/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Baresip } from "./baresip.mjs";
import { freePort, repo, startApp, waitFor } from "./harness.mjs";
import { passwordEnv, switchApi, userToml } from "./switch.mjs";
import { ENTER } from "./webdriver.mjs";

const passwords = { anna: "anna-hemligt-1", bertil: "bertil-hemligt-2", cecilia: "cecilia-hemligt-3" };
let app;
let driver;
let bertil;
let api;
let sip;
let observer;
const events = [];

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

before(async () => {
  sip = await freePort();
  api = await freePort();
  const env = passwordEnv(passwords);
  app = await startApp({ shots: join(repo, "test-output/webview"), files: { "vaxel.toml": switchConfig() }, env });
  driver = app.driver;
});

after(async () => {
  observer?.close();
  bertil?.stop();
  await app?.stop();
});

test("call a colleague found by name, hold, transfer; answer his call; activity seen by a second client", async () => {
  // The app's built-in switch starts with the login; vaxel.toml gave it Anna's account.
  await driver.type(await driver.waitFor('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), passwords.anna);
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  await driver.waitFor('[data-testid="registration"]', { text: (t) => /anna/i.test(t), timeout: 30000 });

  // Bertil's desk phone (baresip) registers to the same switch; Cecilia logs in to its API.
  const dir = mkdtempSync(join(tmpdir(), "koppla-webview-peers-"));
  bertil = await Baresip.start({ dir, user: "bertil", password: passwords.bertil, domain: `127.0.0.1:${sip}` });
  await bertil.waitRegistered();
  const cecilia = await apiCall("POST", "/login", null, { username: "cecilia", password: passwords.cecilia });
  observer = new WebSocket(`ws://127.0.0.1:${api}/api/v1/events?token=${encodeURIComponent(cecilia.token)}`);
  observer.addEventListener("message", (message) => events.push(JSON.parse(String(message.data))));
  await waitFor("Cecilia's event stream", () => observer.readyState === WebSocket.OPEN);

  // Find Bertil by the start of his name and call the top hit with Enter.
  const search = await driver.find('[data-testid="search"]');
  await driver.type(search, "bert");
  await driver.waitFor('[data-testid="hit"]', { text: (t) => /Bertil Berg/.test(t) });
  await app.shot("colleague-search");
  await driver.type(search, ENTER);
  await bertil.waitEvent("CALL_INCOMING");
  await bertil.command("accept");
  await driver.waitFor('[data-testid="call-timer"]', { timeout: 30000 });
  await bertil.waitEvent("CALL_ESTABLISHED");
  // The call shows the colleague's name from the directory, not just his extension.
  assert.match(await driver.text(await driver.find('[data-testid="calls"]')), /Bertil Berg/);
  const timer = await driver.text(await driver.find('[data-testid="call-timer"]'));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.notEqual(await driver.text(await driver.find('[data-testid="call-timer"]')), timer, "the call timer runs");
  await app.shot("colleague-call");

  await driver.click(await driver.find('[data-testid="call-hold"]'));
  await driver.click(await driver.waitFor('[data-testid="call-resume"]'));
  await driver.waitFor('[data-testid="call-hold"]');

  // Blind transfer: Bertil's phone is sent on to the echo number and Anna's call ends.
  await driver.click(await driver.find('[data-testid="call-transfer"]'));
  await driver.type(await driver.waitFor('[data-testid="transfer-target"]'), "9999");
  await app.shot("colleague-transfer");
  await driver.click(await driver.find('[data-testid="transfer-blind"]'));
  await driver.waitGone('[data-testid="call-timer"]', 30000);
  await waitFor("Bertil's transferred call to 9999", () =>
    bertil.events.find((e) => e.type === "CALL_ESTABLISHED" && /9999/.test(e.peeruri ?? "")),
  );
  await bertil.command("hangup");

  // Bertil calls Anna back: the incoming call shows, she answers, then hangs up.
  bertil.events.length = 0;
  await bertil.command(`dial sip:anna@127.0.0.1:${sip}`);
  await driver.waitFor('[data-testid="call-answer"]', { timeout: 30000 });
  await driver.waitFor('[data-testid="calls"]', { text: (t) => /Bertil Berg/.test(t) });
  await app.shot("colleague-incoming");
  await driver.click(await driver.find('[data-testid="call-answer"]'));
  await bertil.waitEvent("CALL_ESTABLISHED");
  await driver.waitFor('[data-testid="call-timer"]');
  await driver.click((await driver.findAll('[data-testid="call-hangup"]'))[0]);
  await bertil.waitEvent("CALL_CLOSED");
  await driver.waitGone('[data-testid="call-timer"]');

  await driver.click(await driver.find('[data-testid="tab-history"]'));
  const rows = await waitFor("two history rows with Bertil", async () => {
    const all = await driver.findAll('[data-testid="history-row"]');
    const texts = await Promise.all(all.map((id) => driver.text(id)));
    const bertils = texts.filter((t) => /Bertil|202|bertil/.test(t));
    return bertils.length >= 2 ? bertils : null;
  });
  assert.ok(rows.length >= 2);
  await app.shot("colleague-history");
  await driver.click(await driver.find('[data-testid="tab-start"]'));

  // Anna goes to lunch with a note; Cecilia's client sees it live.
  await driver.click(await driver.waitFor('[data-testid="activity"]'));
  await driver.click(await driver.waitFor('[data-testid="activity-option-lunch"]'));
  await driver.type(await driver.find('[data-testid="activity-note-input"]'), "Tillbaka 13");
  await driver.click(await driver.find('[data-testid="activity-save"]'));
  await driver.waitFor('[data-testid="activity-note"]', { text: (t) => t.includes("Tillbaka 13") });
  const seen = await waitFor("Cecilia seeing Anna at lunch", () =>
    events.find((e) => e.type === "activity_changed" && e.username === "anna" && e.activity.id === "lunch"),
  );
  assert.equal(seen.activity.note, "Tillbaka 13");
  assert.equal(seen.activity.reachable, false);
  const directory = await apiCall("GET", "/directory", cecilia.token);
  assert.equal(directory.find((u) => u.username === "anna").activity.id, "lunch");
  await app.shot("colleague-activity");

  // Cecilia goes into a meeting from her client; Anna's search shows it.
  await apiCall("PUT", "/me/activity", cecilia.token, { id: "meeting", note: "Styrelsemöte" });
  const search2 = await driver.find('[data-testid="search"]');
  await driver.type(search2, "cec");
  await driver.waitFor('[data-testid="hit"]', { text: (t) => /Cecilia Ek/.test(t) && /Möte|Meeting/.test(t) });
  await app.shot("colleague-presence");
});
