// Settings act at once (issue 14 item 3): the real app in its real webview, logged in to its
// built-in switch, rings for a `koppla` CLI peer; with "Answer automatically" switched on in
// Settings — no logout, no restart — the peer's next call is answered by itself. The voice
// processing switches change during that call and stay as set. Screenshots go to
// test-output/webview/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, repo, startApp, waitFor } from "./harness.mjs";
import { kopplaBin, startKopplaAgent } from "./koppla-agent.mjs";
import { passwordEnv, userToml } from "./switch.mjs";

const passwords = { anna: "anna-hemligt-1", bertil: "bertil-hemligt-2" };
let app;
let driver;
let sip;
let bertil;

/** `koppla agent` as bertil over UDP (see koppla-agent.mjs). */
function startBertil() {
  return startKopplaAgent({ account: `sip:bertil@127.0.0.1:${sip}`, password: passwords.bertil });
}

const callState = (state) => (e) => e.event === "call_state" && e.state === state;

before(async () => {
  assert.ok(existsSync(kopplaBin), `${kopplaBin} is missing: run cargo build -p koppla-cli`);
  sip = await freePort();
  const api = await freePort();
  const config = `[server]
sip_bind = "127.0.0.1:${sip}"
api_bind = "127.0.0.1:${api}"
${userToml({ username: "anna", name: "Anna Andersson", short: "201" })}
${userToml({ username: "bertil", name: "Bertil Berg", short: "202" })}
`;
  app = await startApp({
    shots: join(repo, "test-output/webview"),
    files: { "vaxel.toml": config },
    env: passwordEnv(passwords),
  });
  driver = app.driver;
});

after(async () => {
  bertil?.child.kill("SIGTERM");
  await app?.stop();
});

test("auto-answer switched on while logged in answers the next call without a new login", async () => {
  await driver.type(await driver.waitFor('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), passwords.anna);
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  // Registered: the status bar's dot turns green (its text may be cut short in a narrow window).
  await waitFor(
    "anna registered",
    async () => {
      const status = await driver.find('[data-testid="registration"]');
      return /\bok\b/.test((await driver.call("GET", driver.s(`/element/${status}/attribute/class`))) ?? "");
    },
    30000,
  );

  bertil = startBertil();
  bertil.send("register");
  const registered = await bertil.next("bertil registers", (e) => e.event === "registered" || e.event === "registration_failed");
  assert.equal(registered.event, "registered", JSON.stringify(registered));

  // Off (the default): the call rings and waits for Anna.
  let from = bertil.events.length;
  bertil.send(`call sip:anna@127.0.0.1:${sip}`);
  await driver.waitFor('[data-testid="call-answer"]', { timeout: 20000 });
  await bertil.next("bertil hears ringing", callState("ringing"), { from });
  await app.shot("settings-live-rings");
  from = bertil.events.length;
  bertil.send("hangup");
  await driver.waitGone('[data-testid="call-answer"]', 20000);
  await bertil.next("bertil's first call ended", callState("ended"), { from });
  assert.ok(
    !bertil.events.slice(0, from).some(callState("established")),
    "with auto-answer off the call was not answered",
  );

  // Switch it on in Settings; the session stays as it is.
  await driver.click(await driver.find('[data-testid="tab-settings"]'));
  const auto = await driver.waitFor('[data-testid="setting-autoAnswer"]');
  await driver.click(auto);
  await waitFor("the auto-answer box is checked", async () =>
    (await driver.call("GET", driver.s(`/element/${auto}/selected`))) === true);

  from = bertil.events.length;
  bertil.send(`call sip:anna@127.0.0.1:${sip}`);
  await bertil.next("bertil's call is answered by itself", callState("established"), { from });
  await driver.waitFor('[data-testid="call-timer"]', { timeout: 20000 });
  await app.shot("settings-live-auto-answered");

  // The voice processing switches change during the call and keep their new state. (A new
  // call takes the window from Settings to the start page.)
  await driver.click(await driver.find('[data-testid="tab-settings"]'));
  const ns = await driver.waitFor('[data-testid="setting-noiseSuppression"]');
  assert.equal(await driver.call("GET", driver.s(`/element/${ns}/selected`)), true);
  await driver.click(ns);
  await waitFor("noise suppression is off", async () =>
    (await driver.call("GET", driver.s(`/element/${ns}/selected`))) === false);

  from = bertil.events.length;
  bertil.send("hangup");
  await bertil.next("bertil's second call ended", callState("ended"), { from });
  await driver.waitGone('[data-testid="call-timer"]', 20000);
});
