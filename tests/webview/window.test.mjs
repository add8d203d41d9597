// The window's size is the user's choice and survives a restart of the app — also one that is not
// a clean exit (the test kills the app, as a crash or an OS logout would): the app saves its size
// once a resize has settled (main_window::save_when_settled), and the next start restores it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repo, startApp, waitFor } from "./harness.mjs";

const shots = join(repo, "test-output/screenshots");
const SIZE = { width: 760, height: 620 };
let app;
let home;

after(async () => {
  await app?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const inner = (driver) =>
  driver.call("POST", driver.s("/execute/sync"), { script: "return [window.innerWidth, window.innerHeight]", args: [] });

test("a resized window comes back at that size after the app was killed and started again", async () => {
  app = await startApp({ shots });
  home = app.home;
  await app.driver.waitFor('[data-testid="login-username"]', { timeout: 30000 });
  await app.driver.call("POST", app.driver.s("/window/rect"), SIZE);
  const [width, height] = await waitFor(`a ${SIZE.width} px window`, async () => {
    const [w, h] = await inner(app.driver);
    return Math.abs(w - SIZE.width) <= 24 ? [w, h] : null;
  }, 10000);

  // Saved without any exit: the window-state file follows within a second of the resize.
  const file = join(home, ".config/se.koppla.app/.window-state.json");
  const saved = await waitFor("the size saved", () => {
    if (!existsSync(file)) return null;
    const main = JSON.parse(readFileSync(file, "utf8")).main;
    return main && Math.abs(main.width - SIZE.width) <= 24 ? main : null;
  }, 10000);
  await app.shot("window-resized");
  assert.ok(app.kill(), "the app process was found and killed");
  await app.stop().catch(() => {});
  app = null;

  app = await startApp({ shots, home });
  await app.driver.waitFor('[data-testid="login-username"]', { timeout: 30000 });
  const [again, againHeight] = await waitFor("the restored size", async () => {
    const [w, h] = await inner(app.driver);
    return Math.abs(w - width) <= 2 ? [w, h] : null;
  }, 10000).catch(async () => {
    throw new Error(`restarted at ${JSON.stringify(await inner(app.driver))}, saved ${JSON.stringify(saved)}, had ${width}x${height}`);
  });
  assert.ok(Math.abs(againHeight - height) <= 2, `height ${againHeight} after the restart, ${height} before`);
  console.log(`window: resized to ${width}x${height}, saved ${saved.width}x${saved.height}, restarted at ${again}x${againHeight}`);
  await app.shot("window-restored");
});
