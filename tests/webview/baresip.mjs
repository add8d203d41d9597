// baresip (Debian's baresip-core) as a colleague's phone for the webview tests: a generated
// config directory, silence as microphone, and its ctrl_tcp interface (netstring-framed JSON)
// for commands and call events.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, waitFor, which } from "./harness.mjs";

/** Writes `seconds` of a `hz` tone as an 8 kHz mono 16-bit WAV, what baresip's aufile plays. */
export function writeToneWav(path, seconds, hz = 440) {
  const rate = 8000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write("data", 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 8000), 44 + i * 2);
  }
  writeFileSync(path, wav);
  return path;
}

export class Baresip {
  /** `audioIn`: a WAV (8 kHz mono, the PCMA/PCMU stream's format) the phone plays as its
   * microphone; silence otherwise. */
  static async start({ dir, user, password, domain, answer = "manual", audioIn = null }) {
    assert.ok(which("baresip"), "baresip is missing: install baresip-core");
    const root = join(dir, `baresip-${user}`);
    mkdirSync(root, { recursive: true });
    const sip = await freePort();
    const ctrl = await freePort();
    const rtp = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(
      join(root, "config"),
      [
        "poll_method epoll",
        "net_interface 127.0.0.1",
        `sip_listen 127.0.0.1:${sip}`,
        audioIn ? `audio_source aufile,${audioIn}` : "audio_source aubridge,silence",
        "audio_player aubridge,nowhere",
        "audio_alert aubridge,nowhere",
        `rtp_ports ${rtp}-${rtp + 9}`,
        "module_path /usr/lib/baresip/modules",
        "module g711.so",
        "module aufile.so",
        "module aubridge.so",
        "module_app account.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        `ctrl_tcp_listen 127.0.0.1:${ctrl}`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(root, "accounts"),
      `<sip:${user}@${domain}>;auth_pass=${password};audio_codecs=PCMA,PCMU;regint=600;answermode=${answer}\n`,
    );
    writeFileSync(join(root, "contacts"), "");
    const log = openSync(join(root, "baresip.log"), "w");
    const child = spawn("baresip", ["-f", root], { stdio: ["ignore", log, log] });
    const phone = new Baresip(child);
    await waitFor(`baresip ${user} ctrl_tcp`, () => phone.connect(ctrl));
    return phone;
  }

  constructor(child) {
    this.child = child;
    this.events = [];
    this.pending = new Map();
    this.buffer = Buffer.alloc(0);
    this.token = 0;
  }

  connect(port) {
    return new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("error", () => resolve(false));
      socket.once("connect", () => {
        this.socket = socket;
        socket.on("data", (chunk) => this.receive(chunk));
        resolve(true);
      });
    });
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const colon = this.buffer.indexOf(":");
      if (colon < 0) return;
      const length = Number(this.buffer.subarray(0, colon).toString());
      if (this.buffer.length < colon + 1 + length + 1) return;
      const body = JSON.parse(this.buffer.subarray(colon + 1, colon + 1 + length).toString());
      this.buffer = this.buffer.subarray(colon + 1 + length + 1);
      if (body.event) this.events.push(body);
      else if (body.response && this.pending.has(body.token)) {
        this.pending.get(body.token)(body);
        this.pending.delete(body.token);
      }
    }
  }

  /** Runs a long-form menu command (`accept`, `hangup`, `dial sip:…`) and returns its output. */
  command(line) {
    const [command, ...rest] = line.split(" ");
    const token = String(++this.token);
    const body = JSON.stringify({ command, params: rest.join(" ") || undefined, token });
    this.socket.write(`${Buffer.byteLength(body)}:${body},`);
    return new Promise((resolve) => this.pending.set(token, (reply) => resolve(reply.data ?? "")));
  }

  /** Waits for a call event such as CALL_INCOMING, CALL_ESTABLISHED or CALL_CLOSED. */
  waitEvent(type, timeout = 20000) {
    return waitFor(`baresip event ${type} (seen: ${this.events.map((e) => e.type).join(",")})`, () =>
      this.events.find((e) => e.type === type),
    timeout);
  }

  async waitRegistered() {
    let last = "";
    try {
      await waitFor("baresip registration", async () => {
        last = await this.command("reginfo");
        return /\bOK\b/.test(last.replace(/\u001b\[[0-9;]*m/g, " "));
      });
    } catch (err) {
      throw new Error(`${err.message}; reginfo said ${JSON.stringify(last)}`);
    }
  }

  stop() {
    this.socket?.destroy();
    this.child.kill("SIGTERM");
  }
}
