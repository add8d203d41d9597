// A caller the user saved as Blocked never rings (checklist 16): the real app, logged in to its
// built-in switch, with "take calls sent straight to this computer" on so that a peer can call
// it directly from an outside number (a plain SIP server's trunk would deliver it the same way).
// The call is refused with 603 at once, nothing rings or shows, and history keeps the attempt
// as blocked, not missed. A caller who is not blocked rings as usual.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repo, startApp, waitFor } from "./harness.mjs";
import { kopplaBin, startKopplaAgent } from "./koppla-agent.mjs";

let app;
let driver;
const peers = [];

before(async () => {
  assert.ok(existsSync(kopplaBin), `${kopplaBin} is missing: run cargo build -p koppla-cli`);
  app = await startApp({ shots: join(repo, "test-output/webview") });
  driver = app.driver;
});

after(async () => {
  for (const peer of peers) peer.child.kill("SIGTERM");
  await app?.stop();
});

/** The app's own SIP address, from its log ("SIP agent up local=…"). */
function appSipPort() {
  const dir = join(app.home, ".local/share/se.koppla.app/logs");
  if (!existsSync(dir)) return null;
  for (const file of readdirSync(dir)) {
    const found = /SIP agent up local=127\.0\.0\.1:(\d+)/.exec(readFileSync(join(dir, file), "utf8"));
    if (found) return Number(found[1]);
  }
  return null;
}

/** An unregistered peer calling the app straight from `number`; resolves with its end event. */
async function callFrom(number, port) {
  const peer = startKopplaAgent({ account: `sip:${number}@127.0.0.1:${port}`, password: "oanvänt" });
  peers.push(peer);
  const from = peer.events.length;
  peer.send(`call sip:anna@127.0.0.1:${port}`);
  return { peer, from };
}

const ended = (e) => e.event === "call_state" && e.state === "ended";

test("a blocked caller is refused without ringing and logged; another caller rings", async () => {
  await driver.type(await driver.waitFor('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), "hemligt-1");
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  await driver.waitFor('[data-testid="registration"]', { text: (text) => /anna/i.test(text), timeout: 30000 });

  // A contact marked Blocked.
  await driver.click(await driver.find('[data-testid="tab-contacts"]'));
  await driver.click(await driver.waitFor('[data-testid="contact-new"]'));
  await driver.type(await driver.waitFor('[data-testid="contact-name"]'), "Telefonförsäljaren");
  await driver.click(await driver.find('[data-testid="contact-kind"]'));
  await driver.click(await driver.find('[data-testid="contact-kind"] option[value="blocked"]'));
  await driver.type(await driver.find('[data-testid="contact-number-0"]'), "070-999 88 77");
  await driver.click(await driver.find('[data-testid="contact-save"]'));
  // Saved, the contact's card shows it as blocked.
  await driver.waitFor('[data-testid="contact-card"]', { text: (text) => /Telefonförsäljaren/.test(text) && /Blockerad/.test(text) });

  // Calls sent straight to this computer are taken (the setting, live).
  await driver.click(await driver.find('[data-testid="tab-settings"]'));
  // Settings move as their parts load: click until the box is ticked.
  await waitFor("direct calls accepted in Settings", async () => {
    const box = await driver.waitFor('[data-testid="setting-acceptDirectCalls"]');
    const ticked = () => driver.call("GET", driver.s(`/element/${box}/property/checked`));
    if (await ticked()) return true;
    await driver.call("POST", driver.s("/execute/sync"), {
      script: `document.querySelector('[data-testid="setting-acceptDirectCalls"]').scrollIntoView({ block: "center" });
        return true;`,
      args: [],
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await driver.click(box);
    return ticked();
  }, 20000);
  const port = await waitFor("the app's SIP port in its log", () => appSipPort(), 15000);
  await driver.click(await driver.find('[data-testid="tab-start"]'));
  // The setting reaches the engine asynchronously: a caller who is not blocked rings first
  // (which also proves the path works), then hangs up.
  let friend = await callFrom("0701234567", port);
  await waitFor("a caller who is not blocked ringing", async () => {
    if ((await driver.findAll('[data-testid="call-answer"]')).length > 0) return true;
    // Refused (403) before the setting reached the engine: call again.
    if (friend.peer.events.slice(friend.from).some(ended)) friend = await callFrom("0701234567", port);
    return false;
  }, 30000);
  friend.peer.send("hangup");
  await driver.waitGone('[data-testid="call-answer"]', 20000);

  // The blocked number, in its international form: refused at once, never shown.
  const seller = await callFrom("+46709998877", port);
  let shown = false;
  const end = await waitFor("the blocked call refused", async () => {
    if ((await driver.findAll('[data-testid="call-answer"]')).length > 0) shown = true;
    return seller.peer.events.slice(seller.from).find(ended);
  }, 20000);
  assert.equal(shown, false, "the blocked caller's call never showed");
  assert.equal(end.reason, "declined", JSON.stringify(end));
  await app.shot("blocked-refused");

  // History has it as blocked; only the friend's unanswered call counts as missed.
  await driver.click(await driver.find('[data-testid="tab-history"]'));
  const row = await driver.waitFor('[data-testid="history-row"]', { text: (text) => /Blockerad/.test(text) });
  assert.match(await driver.text(row), /Telefonförsäljaren/);
  await app.shot("blocked-history");
});
