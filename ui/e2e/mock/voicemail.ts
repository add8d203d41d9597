// My voicemail for the mocked backend, like src-tauri voicemail.rs + Koppla Växel: messages
// newest first, playback that moves in real time and marks a message heard at its end, delete and
// save; with a plain SIP account only the message-waiting counts.
import type { MailboxView } from "../../src/bindings/MailboxView";
import type { PlaybackView } from "../../src/bindings/PlaybackView";
import type { GreetingKindView } from "../../src/bindings/GreetingKindView";
import type { GreetingView } from "../../src/bindings/GreetingView";
import type { VoicemailNotifyView } from "../../src/bindings/VoicemailNotifyView";
import type { VoicemailSettingsView } from "../../src/bindings/VoicemailSettingsView";
import type { VoicemailView } from "../../src/bindings/VoicemailView";

const TICK_MS = 200;

function initial(): VoicemailView[] {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return [
    { id: 2, caller: "0701234567", callerName: "Britt Ek", at: at(20), durationMs: 3000, heard: false },
    { id: 1, caller: "1002", callerName: "Johanna Berg", at: at(300), durationMs: 12_000, heard: true },
  ];
}

export class MockVoicemail {
  private messages = initial();
  private nextId = 3;
  private waiting: [number, number] = [0, 0];
  private playing: { view: PlaybackView; timer: number | null } | null = null;
  private pinSet = false;
  private greetings: GreetingView[] = (["default", "busy", "noAnswer"] as GreetingKindView[]).map((kind) => ({
    kind,
    stored: false,
    durationMs: null,
  }));
  private notice: VoicemailNotifyView = {
    enabled: false, address: null, directoryEmail: "anna@exempel.se", attachAudio: true, mailConfigured: true,
  };
  /** Where "Save" put each file, for tests to read. */
  readonly savedFiles: string[] = [];

  constructor(
    private readonly listed: () => boolean,
    private readonly changed: (mailbox: MailboxView) => void,
    private readonly playback: (view: PlaybackView) => void,
    private readonly voicemailNumber: () => string | null,
  ) {}

  view(): MailboxView {
    if (!this.listed()) {
      return { listed: false, messages: [], new: this.waiting[0], old: this.waiting[1], callTarget: this.voicemailNumber() };
    }
    return {
      listed: true,
      messages: this.messages.map((m) => ({ ...m })),
      new: this.messages.filter((m) => !m.heard).length,
      old: this.messages.filter((m) => m.heard).length,
      callTarget: "8000",
    };
  }

  private find(id: number): VoicemailView {
    const message = this.messages.find((m) => m.id === id);
    if (!message) throw { code: "voicemail_gone", message: `no message ${id}` };
    return message;
  }

  play(id: number): null {
    const message = this.find(id);
    if (this.playing?.view.id === id && !this.playing.view.finished) {
      this.playing.view.playing = true;
    } else {
      this.stop();
      this.playing = { view: { id, positionMs: 0, durationMs: message.durationMs, playing: true, finished: false }, timer: null };
    }
    const current = this.playing;
    if (!current) return null;
    if (current.timer === null) {
      current.timer = window.setInterval(() => this.tick(), TICK_MS);
    }
    this.playback({ ...current.view });
    return null;
  }

  private tick() {
    const current = this.playing;
    if (!current || !current.view.playing) return;
    current.view.positionMs = Math.min(current.view.durationMs, current.view.positionMs + TICK_MS);
    if (current.view.positionMs >= current.view.durationMs) {
      current.view.playing = false;
      current.view.finished = true;
      if (current.timer !== null) window.clearInterval(current.timer);
      current.timer = null;
      this.markHeard(current.view.id);
    }
    this.playback({ ...current.view });
  }

  pause(): null {
    if (this.playing) {
      this.playing.view.playing = false;
      this.playback({ ...this.playing.view });
    }
    return null;
  }

  seek(positionMs: number): null {
    if (this.playing) {
      this.playing.view.positionMs = Math.max(0, Math.min(this.playing.view.durationMs, positionMs));
      this.playback({ ...this.playing.view });
    }
    return null;
  }

  stop(): null {
    if (this.playing?.timer != null) window.clearInterval(this.playing.timer);
    this.playing = null;
    return null;
  }

  markHeard(id: number): null {
    const message = this.find(id);
    if (!message.heard) {
      message.heard = true;
      this.changed(this.view());
    }
    return null;
  }

  remove(id: number): null {
    this.messages = this.messages.filter((m) => m.id !== id);
    if (this.playing?.view.id === id) this.stop();
    this.changed(this.view());
    return null;
  }

  save(id: number): string {
    const message = this.find(id);
    const path = `/home/test/Hämtningar/${message.caller} ${message.at.slice(0, 16).replace("T", " ").replace(":", "")}.wav`;
    this.savedFiles.push(path);
    return path;
  }

  /** A caller left a message (the switch's MWI event and the list reload). */
  left(caller: string, callerName: string | null, durationMs: number): number {
    const id = this.nextId++;
    this.messages.unshift({ id, caller, callerName, at: new Date().toISOString(), durationMs, heard: false });
    this.changed(this.view());
    return id;
  }

  /** A plain SIP server's message-waiting NOTIFY. */
  notify(newMessages: number, oldMessages: number) {
    this.waiting = [newMessages, oldMessages];
    this.changed(this.view());
  }

  settings(): VoicemailSettingsView {
    return { pinSet: this.pinSet, greetings: this.greetings.map((g) => ({ ...g })), notify: { ...this.notice } };
  }

  /** Like voicemail_settings.rs + the switch: 4-10 digits. */
  setPin(pin: string): null {
    if (!/^\d{4,10}$/.test(pin.trim())) throw { code: "invalid_pin", message: "the PIN must be 4 to 10 digits" };
    this.pinSet = true;
    return null;
  }

  /** Like the switch's greetings API: a WAV (RIFF/WAVE with a sample rate) or a clear refusal. */
  uploadGreeting(kind: GreetingKindView, wav: number[]): GreetingView {
    const bytes = Uint8Array.from(wav);
    const text = (from: number, to: number) => String.fromCharCode(...bytes.slice(from, to));
    if (bytes.length < 44 || text(0, 4) !== "RIFF" || text(8, 12) !== "WAVE") {
      throw { code: "greeting_not_wav", message: "not a WAV file" };
    }
    const view = new DataView(bytes.buffer);
    const rate = view.getUint32(24, true);
    const channels = view.getUint16(22, true);
    const bits = view.getUint16(34, true);
    const durationMs = Math.round(((bytes.length - 44) / (rate * channels * (bits / 8))) * 1000);
    const stored: GreetingView = { kind, stored: true, durationMs };
    this.greetings = this.greetings.map((g) => (g.kind === kind ? stored : g));
    return { ...stored };
  }

  deleteGreeting(kind: GreetingKindView): null {
    this.greetings = this.greetings.map((g) => (g.kind === kind ? { kind, stored: false, durationMs: null } : g));
    return null;
  }

  setNotify(enabled: boolean, address: string | null, attachAudio: boolean): VoicemailNotifyView {
    if (address && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      throw { code: "rejected", message: `the switch refused: ${address} is not an e-mail address` };
    }
    this.notice = { ...this.notice, enabled, address: address || null, attachAudio };
    return { ...this.notice };
  }
}
