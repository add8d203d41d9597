// Voicemail in the real app in its real webview against its built-in switch (vaxel.toml in the
// app's data folder). Anna uses the app with a 3 s ring timeout; Bertil is a baresip phone. Bertil
// calls Anna, nobody answers, the switch's voicemail takes a message; the app's badge counts it,
// the tab lists it under Bertil's name, plays it to the end (marking it heard: the badge goes), and
// deletes it after the undo moment, which the switch confirms. Screenshots: test-output/webview/.
// What is heard in a message and on the dial-in menus is checked in crates/vaxel/tests.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Baresip, writeToneWav } from "./baresip.mjs";
import { freePort, repo, startApp, waitFor } from "./harness.mjs";
import { passwordEnv, switchApi, userToml } from "./switch.mjs";

const passwords = { anna: "anna-hemligt-1", bertil: "bertil-hemligt-2" };
let app;
let driver;
let bertil;
let api;
let sip;

function switchConfig() {
  const user = (username, name, short, extra = "") => userToml({ username, name, short, extra });
  return `[server]
sip_bind = "127.0.0.1:${sip}"
api_bind = "127.0.0.1:${api}"
${user("anna", "Anna Andersson", "201", "ring_timeout_secs = 3")}
${user("bertil", "Bertil Berg", "202")}
`;
}

const apiCall = switchApi(() => api);

const attribute = (css, name) =>
  driver.call("POST", driver.s("/execute/sync"), {
    script: "return Array.from(document.querySelectorAll(arguments[0]), (e) => e.getAttribute(arguments[1]))",
    args: [css, name],
  });

before(async () => {
  sip = await freePort();
  api = await freePort();
  const env = passwordEnv(passwords);
  app = await startApp({ shots: join(repo, "test-output/webview"), files: { "vaxel.toml": switchConfig() }, env });
  driver = app.driver;
});

after(async () => {
  bertil?.stop();
  await app?.stop();
});

test("a message left by a colleague is counted, listed, played to the end (heard) and deleted", async () => {
  await driver.type(await driver.waitFor('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), passwords.anna);
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  await driver.waitFor('[data-testid="registration"]', { text: (t) => /anna/i.test(t), timeout: 30000 });
  assert.equal((await driver.findAll('[data-testid="voicemail-badge"]')).length, 0, "an empty mailbox has no badge");

  // The switch's voicemail number is in the one search box.
  await driver.type(await driver.find('[data-testid="search"]'), "röst");
  const hit = await driver.waitFor('[data-testid="hit"]', { text: (t) => /Röstbrevlåda/.test(t) && /8000/.test(t) });
  assert.ok(hit);
  await driver.call("POST", driver.s(`/element/${await driver.find('[data-testid="search"]')}/clear`), {});

  const domain = `127.0.0.1:${sip}`;
  const dir = mkdtempSync(join(tmpdir(), "koppla-webview-vm-"));
  bertil = await Baresip.start({ dir, user: "bertil", password: passwords.bertil, domain,
    audioIn: writeToneWav(join(dir, "bertil-talks.wav"), 30) });
  await bertil.waitRegistered();

  // Bertil calls; Anna does not answer; after her 3 s the switch answers with voicemail. He talks
  // (a tone) through the greeting and a few seconds after it, and hangs up.
  await bertil.command(`dial sip:anna@${domain}`);
  await driver.waitFor('[data-testid="call-answer"]', { timeout: 30000 });
  await bertil.waitEvent("CALL_ESTABLISHED", 30000);
  await driver.waitGone('[data-testid="call-answer"]', 20000);
  await new Promise((resolve) => setTimeout(resolve, 12000));
  await bertil.command("hangup");
  await bertil.waitEvent("CALL_CLOSED");

  // The switch's message-waiting event reaches the app: badge 1, without opening the tab.
  await driver.waitFor('[data-testid="voicemail-badge"]', { text: (t) => t.trim() === "1", timeout: 30000 });
  await app.shot("voicemail-badge");
  const { token } = await apiCall("POST", "/login", null, { username: "anna", password: passwords.anna });
  const [left] = await apiCall("GET", "/voicemails", token);
  assert.equal(left.caller, "bertil");
  assert.equal(left.heard, false);

  await driver.click(await driver.find('[data-testid="tab-voicemail"]'));
  const row = await driver.waitFor('[data-testid="voicemail-row"]');
  assert.match(await driver.text(row), /Bertil Berg/, "the caller's name comes from the directory");
  assert.deepEqual(await attribute('[data-testid="voicemail-row"]', "data-heard"), ["false"]);
  await app.shot("voicemail-list");

  // Played in the app (on whatever output the machine has; the position moves either way) to the
  // end: the message is heard here and on the switch, and the badge goes.
  await driver.click(await driver.find('[data-testid="voicemail-play"]'));
  await driver.waitFor('[data-testid="voicemail-position"]', { text: (t) => /^0:0[1-9]/.test(t.trim()), timeout: 20000 });
  await app.shot("voicemail-playing");
  await waitFor("the message marked heard", async () => {
    const heard = await attribute('[data-testid="voicemail-row"]', "data-heard");
    return heard.length === 1 && heard[0] === "true";
  }, 60000);
  await driver.waitGone('[data-testid="voicemail-badge"]', 20000);
  assert.equal((await apiCall("GET", "/voicemails", token))[0].heard, true, "the switch knows it was heard");

  // Delete: undo for a moment, then the switch deletes it.
  await driver.click(await driver.find('[data-testid="voicemail-delete"]'));
  await driver.waitFor('[data-testid="voicemail-undo-bar"]');
  await driver.waitGone('[data-testid="voicemail-undo-bar"]', 15000);
  assert.equal((await driver.findAll('[data-testid="voicemail-row"]')).length, 0);
  await waitFor("the switch's mailbox empty", async () => (await apiCall("GET", "/voicemails", token)).length === 0);
  await app.shot("voicemail-deleted");

  // "Call voicemail" dials the switch's voicemail number; from my own phone the menu answers
  // at once (what it says is checked in crates/vaxel/tests/interop_voicemail_menu.rs).
  await driver.click(await driver.find('[data-testid="voicemail-call"]'));
  await driver.waitFor('[data-testid="call-timer"]', { timeout: 20000 });
  assert.match(await driver.text(await driver.find('[data-testid="calls"]')), /8000|Röstbrevlåda/);
  await driver.click((await driver.findAll('[data-testid="call-hangup"]'))[0]);
  await driver.waitGone('[data-testid="call-timer"]');

  // The mailbox's settings in the app reach the switch: the PIN for other phones and the
  // e-mail notice.
  assert.equal((await apiCall("GET", "/me/voicemail/pin", token)).set, false);
  await driver.click(await driver.find('[data-testid="voicemail-settings"] summary'));
  await driver.type(await driver.waitFor('[data-testid="voicemail-pin"]'), "4711");
  await driver.click(await driver.find('[data-testid="voicemail-pin-save"]'));
  await driver.waitFor('[data-testid="voicemail-pin-status"]', { text: (t) => /sparad|saved/.test(t) });
  assert.equal((await apiCall("GET", "/me/voicemail/pin", token)).set, true, "the switch keeps the PIN");
  // Anna has no e-mail in the directory, so the notice needs her own address.
  await driver.type(await driver.find('[data-testid="voicemail-notify-address"]'), "anna@exempel.se");
  await driver.click(await driver.find('[data-testid="voicemail-notify-enabled"]'));
  await waitFor("the e-mail notice on at the switch", async () => {
    const notify = await apiCall("GET", "/me/voicemail/notify", token);
    return notify.enabled && notify.address === "anna@exempel.se";
  });
  await app.shot("voicemail-settings");
});
