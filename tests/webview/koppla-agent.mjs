// `koppla agent`, the headless softphone, as a peer of the app in webview tests: JSON-lines
// events on stdout, commands on stdin.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repo, waitFor } from "./harness.mjs";

export const kopplaBin = process.env.KOPPLA_BIN ?? join(repo, "target/debug/koppla");

/** Starts an agent for `account` (`sip:user@host:port`) over UDP on a free local port. */
export function startKopplaAgent({ account, password }) {
  const child = spawn(kopplaBin, ["agent", "--account", account, "--bind", "127.0.0.1:0"], {
    env: { ...process.env, KOPPLA_PASSWORD: password, KOPPLA_LOG: "info" },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const events = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      // Not an event line.
    }
  });
  return {
    child,
    events,
    send: (command) => child.stdin.write(`${command}\n`),
    /** The first event from index `from` on (take `events.length` before sending) that fits. */
    next: (what, fits, { from = 0, timeout = 20000 } = {}) => waitFor(what, () => events.slice(from).find(fits), timeout),
  };
}
