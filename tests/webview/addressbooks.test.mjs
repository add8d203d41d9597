// Address books in the real app and webview (issue 14 item 7). The test starts a real CardDAV
// server (Radicale, the venv python at $KOPPLA_RADICALE_PYTHON) and a real LDAP server (Debian's
// slapd with a private database), each with one Swedish contact, adds both in Settings → Address
// books (the LDAP one after a "Test connection" with a wrong password, which must say so), then
// types each name in the one search box and sees the hit with its number; after a restart on the
// same profile both books are back, read with the passwords the keychain kept.
// Screenshots go to test-output/webview/addressbooks-*.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, repo, startApp, waitFor } from "./harness.mjs";

const ESCAPE = "\uE00C";
const radicalePython = process.env.KOPPLA_RADICALE_PYTHON ?? "python3";

let app;
let driver;
let work;
let radicale;
let slapd;
let davPort;
let ldapPort;
const shot = (name) => app.shot(`addressbooks-${name}`);

const listening = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

function startRadicale(dir, port) {
  const book = join(dir, "collections/collection-root/anna/kontakter");
  mkdirSync(book, { recursive: true });
  writeFileSync(join(dir, "collections/collection-root/anna/.Radicale.props"), "{}");
  writeFileSync(join(book, ".Radicale.props"), '{"tag": "VADDRESSBOOK", "D:displayname": "Kontakter"}');
  writeFileSync(
    join(book, "karin.vcf"),
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:karin-1\r\nFN:Karin Ängström\r\nN:Ängström;Karin;;;\r\n" +
      "TEL;TYPE=CELL:+46 70 765 43 21\r\nEND:VCARD\r\n",
  );
  writeFileSync(join(dir, "users"), "anna:dav-hemligt\n");
  writeFileSync(
    join(dir, "config"),
    `[server]\nhosts = 127.0.0.1:${port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = ${join(dir, "users")}\n` +
      `htpasswd_encryption = plain\ndelay = 0\n[rights]\ntype = owner_only\n[storage]\n` +
      `filesystem_folder = ${join(dir, "collections")}\n[logging]\nlevel = warning\n`,
  );
  return spawn(radicalePython, ["-m", "radicale", "--config", join(dir, "config")], { stdio: "ignore" });
}

function startSlapd(dir, port) {
  const db = join(dir, "db");
  mkdirSync(db, { recursive: true });
  const conf = join(dir, "slapd.conf");
  writeFileSync(
    conf,
    "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n" +
      `include /etc/ldap/schema/inetorgperson.schema\npidfile ${join(dir, "slapd.pid")}\n` +
      "modulepath /usr/lib/ldap\nmoduleload back_mdb\ndatabase mdb\nmaxsize 10485760\n" +
      'suffix "dc=koppla,dc=test"\nrootdn "cn=admin,dc=koppla,dc=test"\nrootpw ldap-hemligt\n' +
      `directory ${db}\n`,
  );
  writeFileSync(
    join(dir, "data.ldif"),
    "dn: dc=koppla,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: Koppla\ndc: koppla\n\n" +
      "dn: cn=Åsa Öberg,dc=koppla,dc=test\nobjectClass: inetOrgPerson\ncn: Åsa Öberg\nsn: Öberg\n" +
      "telephoneNumber: +46 8 555 123 45\ntitle: Ekonomichef\n\n",
  );
  const loaded = spawnSync("/usr/sbin/slapadd", ["-f", conf, "-l", join(dir, "data.ldif")], { encoding: "utf8" });
  assert.equal(loaded.status, 0, `slapadd: ${loaded.stderr}`);
  return spawn("/usr/sbin/slapd", ["-f", conf, "-h", `ldap://127.0.0.1:${port}/`, "-d", "0"], { stdio: "ignore" });
}

before(async () => {
  const radicaleThere = spawnSync(radicalePython, ["-c", "import radicale"]).status === 0;
  assert.ok(radicaleThere, `no python with radicale at ${radicalePython} (scripts/setup.sh; KOPPLA_RADICALE_PYTHON)`);
  assert.ok(existsSync("/usr/sbin/slapd"), "slapd is not installed (apt-get install slapd ldap-utils; scripts/setup.sh)");
  work = mkdtempSync(join(tmpdir(), "koppla-books-"));
  davPort = await freePort();
  ldapPort = await freePort();
  radicale = startRadicale(join(work, "dav"), davPort);
  slapd = startSlapd(join(work, "ldap"), ldapPort);
  await waitFor("radicale", () => listening(davPort));
  await waitFor("slapd", () => listening(ldapPort));
  app = await startApp({ shots: join(repo, "test-output/webview") });
  driver = app.driver;
});

after(async () => {
  await app?.stop();
  radicale?.kill();
  slapd?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

const textOf = (css) =>
  driver.call("POST", driver.s("/execute/sync"), {
    script: "return document.querySelector(arguments[0])?.textContent ?? ''",
    args: [css],
  });

async function fill(testId, text) {
  const input = await driver.find(`[data-testid="${testId}"]`);
  await driver.type(input, text);
}

/** The one search box: types `query` and waits for a hit whose text passes `check`. */
async function searchFor(query, check) {
  const search = await driver.find('[data-testid="search"]');
  await driver.type(search, query);
  const hits = await driver.waitFor('[data-testid="hits"]', { text: check, timeout: 20000 });
  const text = await driver.text(hits);
  await driver.type(search, ESCAPE);
  return text;
}

test("a CardDAV account and an LDAP directory added in Settings are found by the one search", async () => {
  await driver.click(await driver.waitFor('[data-testid="login-tab-vaxel"]'));
  await driver.type(await driver.find('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), "anna-hemligt-1");
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  // textContent, not WebDriver's visible text: the status bar may ellipsise it in a narrow window.
  await waitFor("registered with the built-in switch", async () => /Registrerad/.test(await textOf('[data-testid="registration"]')), 30000);
  await driver.click(await driver.find('[data-testid="tab-settings"]'));

  // CardDAV: address, user, password; saved and read at once.
  await driver.click(await driver.waitFor('[data-testid="books-add-carddav"]'));
  await fill("book-name", "Mina kontakter");
  await fill("book-url", `http://127.0.0.1:${davPort}/anna/kontakter/`);
  await fill("book-username", "anna");
  await fill("book-password", "dav-hemligt");
  await driver.click(await driver.find('[data-testid="book-save"]'));
  await driver.waitGone('[data-testid="book-form"]');
  await driver.waitFor('[data-testid="book-status"]', { text: (t) => /^1 person$/.test(t), timeout: 20000 });

  // LDAP: a wrong password is reported by "Test connection" in Swedish; the right one counts.
  await driver.click(await driver.find('[data-testid="books-add-ldap"]'));
  await fill("book-name", "Företagskatalogen");
  await fill("book-url", `ldap://127.0.0.1:${ldapPort}/`);
  await fill("book-base-dn", "dc=koppla,dc=test");
  await fill("book-username", "cn=admin,dc=koppla,dc=test");
  await fill("book-password", "fel");
  await driver.click(await driver.find('[data-testid="book-test"]'));
  const refused = await driver.waitFor('[data-testid="book-test-result"]', {
    text: (t) => /nekade inloggningen/.test(t),
    timeout: 20000,
  });
  assert.match(await driver.text(refused), /kontrollera användarnamn och lösenord/);
  await shot("wrong-password");
  // Empty the field the way typing would, so Preact sees it (a WebDriver clear would not).
  await driver.call("POST", driver.s("/execute/sync"), {
    script:
      "const input = document.querySelector('[data-testid=\"book-password\"]');" +
      "input.value = ''; input.dispatchEvent(new Event('input', { bubbles: true }));",
    args: [],
  });
  await fill("book-password", "ldap-hemligt");
  await driver.click(await driver.find('[data-testid="book-test"]'));
  await driver.waitFor('[data-testid="book-test-result"]', { text: (t) => /fungerar: 1 person\./.test(t), timeout: 20000 });
  await driver.click(await driver.find('[data-testid="book-save"]'));
  await driver.waitGone('[data-testid="book-form"]');
  await waitFor("both books read", async () => {
    const rows = await driver.findAll('[data-testid="book-status"]');
    const texts = await Promise.all(rows.map((row) => driver.text(row)));
    return texts.length === 2 && texts.every((t) => /^1 person$/.test(t));
  });
  await shot("settings");

  // The one search box finds each, with its number.
  await driver.click(await driver.find('[data-testid="tab-start"]'));
  const karin = await searchFor("karin", (t) => /Karin Ängström/.test(t));
  assert.match(karin, /\+46 70 765 43 21/);
  const asa = await searchFor("åsa öb", (t) => /Åsa Öberg/.test(t));
  assert.match(asa, /\+46 8 555 123 45/);
  await shot("search");

  // Started again on the same profile: both books come back from the settings store with their
  // passwords from the keychain (the profile's Secret Service), are read at start and searched.
  const home = app.home;
  await app.stop();
  app = await startApp({ shots: join(repo, "test-output/webview"), home });
  driver = app.driver;
  const first = await waitFor("the start page or the login form", async () => {
    if ((await driver.findAll('[data-testid="tab-settings"]')).length > 0) return "in";
    if ((await driver.findAll('[data-testid="login-submit"]')).length > 0) return "login";
    return null;
  }, 30000);
  if (first === "login") {
    const name = await driver.call("POST", driver.s("/execute/sync"), {
      script: "return document.querySelector('[data-testid=\"login-username\"]')?.value ?? ''",
      args: [],
    });
    if (!name) await fill("login-username", "anna");
    await driver.type(await driver.find('[data-testid="login-password"]'), "anna-hemligt-1");
    await driver.click(await driver.find('[data-testid="login-submit"]'));
  }
  await driver.click(await driver.waitFor('[data-testid="tab-settings"]', { timeout: 30000 }));
  await waitFor("both books read after the restart", async () => {
    const rows = await driver.findAll('[data-testid="book-status"]');
    const texts = await Promise.all(rows.map((row) => driver.text(row)));
    return texts.length === 2 && texts.every((t) => /^1 person$/.test(t));
  });
  assert.equal((await driver.findAll('[data-testid="book-password-not-saved"]')).length, 0, "both passwords were kept");
  await driver.click(await driver.find('[data-testid="tab-start"]'));
  assert.match(await searchFor("karin", (t) => /Karin Ängström/.test(t)), /\+46 70 765 43 21/);
  assert.match(await searchFor("åsa öb", (t) => /Åsa Öberg/.test(t)), /\+46 8 555 123 45/);
});
