// A stand-in for the Rust side so the UI can be driven in a plain browser. It answers the same
// commands with the same shapes (the generated bindings), keeping state like the real app would:
// settings/contacts/history/session persist in localStorage (see mock/store.ts), calls progress
// through their phases (mock/calls.ts) and search runs over a small directory (mock/directory.ts).
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { ActivityChange } from "../src/bindings/ActivityChange";
import type { ActivityView } from "../src/bindings/ActivityView";
import type { AppSettings } from "../src/bindings/AppSettings";
import type { CallAction } from "../src/bindings/CallAction";
import type { ContactInput } from "../src/bindings/ContactInput";
import type { DialOutcome } from "../src/bindings/DialOutcome";
import type { DialRequest } from "../src/bindings/DialRequest";
import type { GreetingKindView } from "../src/bindings/GreetingKindView";
import type { HistoryFilter } from "../src/bindings/HistoryFilter";
import type { LoginRequest } from "../src/bindings/LoginRequest";
import type { SessionView } from "../src/bindings/SessionView";
import { MockCalls } from "./mock/calls";
import { ACTIVITY_OPTIONS, activityFor, setColleagueActivity } from "./mock/activity";
import { MockParked, type AddOptions } from "./mock/parked";
import { MockQueues } from "./mock/queues";
import { MockVoicemail } from "./mock/voicemail";
import { colleagueBy, searchAll, setColleagueOnCall } from "./mock/directory";
import { load, save } from "./mock/store";
import { checkKeys, parseCombo, SHORTCUT_ACTIONS } from "../src/lib/shortcuts";

const state = load();
/** What `open_external` handed to the browser or mail client, for tests to read. */
const opened: string[] = [];
const pending: DialRequest[] = [];
/** Like pending_dials.rs: what a link or the hotkey brought, kept under its request's id. */
const dials = new Map<number, string>();
let nextRequestId = 1;

const persist = () => save(state);
const fail = (code: string, message: string): never => {
  throw { code, message };
};

/** The digits to dial, or null when the input is not a number (the dial crate's job in Rust). */
function digitsOf(input: string): string | null {
  // Service codes (voicemail *97, call forwarding *21#) are dialled as typed.
  if (/^[*#]\d[\d*#]*$/.test(input.trim())) return input.trim();
  const digits = input.replace(/[^\d+]/g, "");
  return digits.length < 3 || /javascript:/i.test(input) ? null : digits;
}

function outcome(input: string): DialOutcome {
  if (digitsOf(input) === null) {
    return { kind: "refused", code: "not_a_number", message: "not a phone number" };
  }
  return {
    kind: "dialable",
    candidate: { display: input.trim(), e164: null, extension: null, isSipAddress: false },
  };
}

/** Like call_commands.rs `place`: starts the call and answers its id. */
function place(target: string): number {
  requireOnline();
  const known = searchAll(target, 1, state.contacts).hits.find((hit) => hit.number === target);
  return calls.place(target, known?.name ?? null).id;
}

// My activity lives on the (mock) switch; a new login starts "available" like a fresh switch user.
let activity: ActivityView = activityFor("available", null, null);

const hasSwitch = () => state.session.state === "online" && state.session.switch_features;

const queues = new MockQueues((queue) => void emit("queue-changed", queue));
/** The logged-in user as the switch knows them. */
const me = () =>
  state.session.state === "online"
    ? { username: state.session.username, name: state.session.display_name ?? state.session.username }
    : { username: "", name: "" };
const parked = new MockParked((list) => void emit("parked-changed", list), me);
const voicemail = new MockVoicemail(
  hasSwitch,
  (mailbox) => void emit("voicemail-changed", mailbox),
  (playback) => void emit("voicemail-playback", playback),
  () => state.settings.voicemailNumber ?? null,
);

/** Like src-tauri activity.rs + the switch: checks the id and end time, then tells every client. */
function activitySet(change: ActivityChange): ActivityView {
  if (!hasSwitch()) fail("no_switch", "activities need Koppla Växel");
  if (!ACTIVITY_OPTIONS.some((o) => o.id === change.id)) fail("rejected", `unknown activity "${change.id}"`);
  if (change.until && !(Date.parse(change.until) > Date.now())) fail("rejected", "end time is in the past");
  activity = activityFor(change.id, change.until?.trim() || null, change.note?.trim() || null);
  void emit("activity-changed", activity);
  return { ...activity };
}

/** Sound devices as cpal lists them; `?nodevices` in the page address mimics a headless machine. */
function audioDevices() {
  if (new URLSearchParams(location.search).has("nodevices")) {
    return { inputs: [], outputs: [], defaultInput: null, defaultOutput: null, error: "no audio host available",
      voiceProcessing: true };
  }
  return { inputs: ["Inbyggd mikrofon", "USB-headset"], outputs: ["Högtalare", "USB-headset"],
    defaultInput: "Inbyggd mikrofon", defaultOutput: "Högtalare", error: null, voiceProcessing: true };
}

/** Like parking.rs `park`: a blind transfer of an answered call to my personal queue. */
function park(id: number): null {
  if (!hasSwitch()) fail("no_switch", "parking needs Koppla Växel");
  const call = calls.calls.find((c) => c.id === id && c.phase !== "ended") ?? fail("no_such_call", `no call with id ${id}`);
  parked.checkRoom(me().username);
  calls.act(id, "park");
  parked.add(call.remote, call.remoteName, me().username, me().name, { by: me().username });
  return null;
}

/** Like parking.rs `camp_on`: a blind transfer to the colleague's personal queue, where the call
 * waits until they are free. */
function campOn(id: number, user: string): null {
  if (!hasSwitch()) fail("no_switch", "camp-on needs Koppla Växel");
  if (!user.trim()) fail("invalid_input", "camp-on needs the colleague's user name or number");
  const call = calls.calls.find((c) => c.id === id && c.phase !== "ended") ?? fail("no_such_call", `no call with id ${id}`);
  const colleague = colleagueBy(user) ?? fail("rejected", `the switch knows no user ${user}`);
  parked.checkRoom(colleague.username);
  calls.act(id, { campOn: { user } });
  parked.add(call.remote, call.remoteName, colleague.username, colleague.name, { by: me().username });
  return null;
}

/** A blind transfer; to a colleague, the switch watches it ring and brings it back unanswered. */
function blindTransfer(id: number, target: string): null {
  const call = calls.calls.find((c) => c.id === id && c.phase !== "ended");
  calls.act(id, { blindTransfer: { target } });
  const colleague = colleagueBy(target);
  if (hasSwitch() && call && colleague && colleague.username !== me().username) {
    parked.add(call.remote, call.remoteName, me().username, me().name,
      { state: "ringing", by: me().username, target: colleague.username, targetName: colleague.name });
  }
  return null;
}

/** Like parking.rs `parked_pick_up`: the switch rings me with the caller and the app answers. */
function pickUp(id: string): null {
  if (!hasSwitch()) fail("not_supported", "parked calls need Koppla Växel");
  const taken = parked.pickUp(id);
  const callId = calls.incoming(taken.caller, taken.callerName);
  setTimeout(() => calls.act(callId, "answer"), 100);
  return null;
}

/** Like parking.rs `colleague_pick_up`: the call ringing the colleague rings me and the app
 * answers it; a colleague who is only talking has nothing to take. */
function pickUpRinging(user: string): null {
  if (!hasSwitch()) fail("no_switch", "this needs Koppla Växel");
  const colleague = colleagueBy(user);
  if (!colleague || !colleagueRinging.has(colleague.username)) {
    return fail("nothing_ringing", `no call is ringing for ${user}`);
  }
  colleagueRinging.delete(colleague.username);
  const callId = calls.incoming("0701234567", "Uppringare");
  setTimeout(() => calls.act(callId, "answer"), 100);
  return null;
}

/** Colleagues whose phone rings now (tests say so through `koppla.colleagueRinging`). */
const colleagueRinging = new Set<string>();

function setSession(session: SessionView) {
  state.session = session;
  persist();
  void emit("session-changed", session);
}

const calls = new MockCalls(
  (list) => void emit("calls-changed", list),
  (row) => {
    state.history.unshift({ ...row, id: state.nextId++ });
    persist();
    void emit("history-changed", null);
  },
);

/** Ends the login under way (`login_cancel`); set while one waits. */
let cancelLogin: (() => void) | null = null;

/** Like koppla_vaxel::model::normalise_username for the names tests type (no refusals here). */
const storedName = (typed: string) =>
  typed.trim().normalize("NFKD").replace(/[\u0300-\u036f']/g, "").toLowerCase().replace(/\s+/g, ".");

/** Like the Rust command: reports "connecting", waits for registration, then answers or rejects.
 * A server named `dead.*` never answers, so only Cancel ends the wait. */
async function login(request: LoginRequest): Promise<SessionView> {
  if (!request.username.trim()) fail("invalid_input", "enter your user name");
  if (request.kind !== "builtin" && !request.server?.trim()) fail("invalid_input", "enter the server address");
  setSession({ state: "connecting", username: request.username.trim() });
  const silent = request.server?.trim().startsWith("dead.") ?? false;
  const cancelled = await new Promise<boolean>((resolve) => {
    cancelLogin = () => resolve(true);
    if (!silent) setTimeout(() => resolve(false), 200);
  });
  cancelLogin = null;
  if (cancelled) {
    setSession({ state: "loggedOut", error: null, last_username: null, last_kind: null });
    return fail("cancelled", "the login was cancelled");
  }
  if (request.password === "fel") {
    setSession({ state: "loggedOut", error: null, last_username: request.username, last_kind: request.kind });
    return fail("wrong_password", "wrong user name or password");
  }
  state.settings.stayLoggedIn = request.stayLoggedIn;
  const switchFeatures = request.kind !== "sip";
  // Koppla Växel answers its stored form of the name and lists its echo test.
  // `?nokeychain` in the page address: no OS keychain, so "stay logged in" cannot keep the password.
  const noKeychain = request.stayLoggedIn && new URLSearchParams(location.search).has("nokeychain");
  const online: SessionView = { state: "online", kind: request.kind,
    username: switchFeatures ? storedName(request.username) : request.username,
    display_name: "Test Testsson", registered: true, registration_error: null, switch_features: switchFeatures,
    ...(switchFeatures ? { echo_number: "9999" } : {}),
    ...(noKeychain ? { password_not_saved: "no Secret Service on the session bus" } : {}) };
  setSession(online);
  return online;
}

/** Like call_keys.rs: canonical combinations; bad or repeated ones are switched off. */
function callKeys(next: AppSettings): AppSettings["callKeys"] {
  const problems = checkKeys(next.callKeys, next.hotkey);
  const keys = { ...next.callKeys };
  for (const action of SHORTCUT_ACTIONS) {
    const parsed = parseCombo(keys[action]);
    keys[action] = problems[action] || !("combo" in parsed) ? "" : parsed.combo;
  }
  return keys;
}

/** Normalises like src-tauri settings.rs: clamps the delay, falls back to Swedish, drops non-web URLs. */
function settingsSet(next: AppSettings): AppSettings {
  const url = next.externalAppUrl?.trim() ?? "";
  state.settings = {
    ...next,
    language: next.language === "en" ? "en" : "sv",
    hotkey: next.hotkey.trim() || "F8",
    searchDelayMs: Math.min(2000, Math.max(50, Math.round(next.searchDelayMs))),
    volume: Math.min(100, Math.max(0, Math.round(next.volume))),
    campOnReminderSecs: Math.min(3600, Math.max(0, Math.round(next.campOnReminderSecs ?? 30))),
    externalAppUrl: /^https?:\/\//.test(url) ? url : null,
    voicemailNumber: next.voicemailNumber?.trim().slice(0, 64) || null,
    callKeys: callKeys(next),
    messageTemplates: [...new Set(next.messageTemplates.map((text) => text.trim()).filter(Boolean))].slice(0, 20),
  };
  persist();
  return { ...state.settings };
}

function contactSave(id: number | null, input: ContactInput) {
  if (!input.name.trim()) fail("invalid_input", "a contact needs a name");
  if (id === null) {
    const contact = { ...input, id: state.nextId++ };
    state.contacts.push(contact);
    persist();
    return contact;
  }
  const index = state.contacts.findIndex((c) => c.id === id);
  if (index < 0) fail("not_found", `no contact ${id}`);
  state.contacts[index] = { ...input, id };
  persist();
  return state.contacts[index];
}

function historyList(filter: HistoryFilter, offset: number, limit: number) {
  const rows = state.history.filter((row) =>
    filter === "missed" ? row.missed : filter === "recordings" ? row.recordingPath !== null : true,
  );
  return rows.slice(offset, offset + limit);
}

function requireOnline() {
  if (state.session.state !== "online") fail("not_logged_in", "log in first");
}

mockIPC(
  (cmd, args) => {
    const payload = (args ?? {}) as Record<string, unknown>;
    switch (cmd) {
      case "take_pending_dial_requests":
        return pending.splice(0, pending.length);
      case "hotkey_get":
        return state.settings.hotkey;
      case "hotkey_set": {
        const accelerator = String(payload.accelerator ?? "");
        const registered = /^(F\d{1,2}|(Ctrl|Alt|Shift)\+\w+)$/.test(accelerator);
        if (registered) {
          state.settings.hotkey = accelerator;
          persist();
        }
        return { accelerator, registered, error: registered ? null : "not a valid key combination" };
      }
      case "settings_get":
        return { ...state.settings };
      case "settings_set":
        return settingsSet(payload.settings as AppSettings);
      case "session_get":
        return state.session;
      case "login":
        return login(payload.request as LoginRequest);
      case "login_cancel":
        cancelLogin?.();
        return null;
      case "logout": {
        const last = state.session.state === "online" ? state.session : null;
        const session: SessionView = { state: "loggedOut", error: null, last_username: last?.username ?? null,
          last_kind: last?.kind ?? null };
        setSession(session);
        return session;
      }
      case "calls_list":
        return calls.calls.map((call) => ({ ...call }));
      case "call_place": {
        const target = String(payload.target ?? "");
        const parsed = outcome(target);
        if (parsed.kind === "refused") return fail(parsed.code, parsed.message);
        return place(target);
      }
      case "dial_request_call": {
        const target = dials.get(Number(payload.id));
        if (target === undefined) return fail("dial_unknown", "no number is waiting under that id");
        return place(target);
      }
      case "call_action":
        if (payload.action === "park") return park(Number(payload.id));
        if (typeof payload.action === "object" && payload.action !== null) {
          const action = payload.action as CallAction & object;
          if ("campOn" in action) return campOn(Number(payload.id), action.campOn.user);
          if ("blindTransfer" in action) return blindTransfer(Number(payload.id), action.blindTransfer.target);
        }
        return calls.act(Number(payload.id), payload.action as CallAction);
      case "conference_merge":
        return calls.merge();
      case "conference_split":
        return calls.split();
      case "search":
        return searchAll(String(payload.query ?? ""), Number(payload.limit ?? 20), state.contacts);
      case "search_enter": {
        const query = String(payload.query ?? "");
        const hit = searchAll(query, 20, state.contacts).hits.find((h) => h.number !== null);
        if (hit) return hit.number;
        return outcome(query).kind === "dialable" ? query.trim() : null;
      }
      case "activity_current":
        return hasSwitch() ? { ...activity } : null;
      case "activity_options":
        if (!hasSwitch()) fail("no_switch", "activities need Koppla Växel");
        return ACTIVITY_OPTIONS.map((o) => ({ ...o }));
      case "activity_set":
        return activitySet(payload.change as ActivityChange);
      case "queues_list":
        // Like queues.rs: no switch, no queues (the panel stays hidden).
        return hasSwitch() ? queues.list() : [];
      case "queue_login": {
        if (!hasSwitch()) fail("no_switch", "this needs Koppla Växel");
        const id = String(payload.id);
        return queues.login(id, Boolean(payload.login)) ?? fail("unknown_queue", `the switch has no queue ${id}`);
      }
      case "parked_list":
        // Like parking.rs: no switch, nothing parked (the section stays hidden).
        return hasSwitch() ? parked.list() : [];
      case "parked_pick_up":
        return pickUp(String(payload.id));
      case "colleague_pick_up":
        return pickUpRinging(String(payload.user));
      case "voicemail_get":
        requireOnline();
        return voicemail.view();
      case "voicemail_play":
        if (!hasSwitch()) fail("no_switch", "this needs Koppla Växel");
        return voicemail.play(Number(payload.id));
      case "voicemail_pause":
        return voicemail.pause();
      case "voicemail_seek":
        return voicemail.seek(Number(payload.positionMs));
      case "voicemail_stop":
        return voicemail.stop();
      case "voicemail_mark_heard":
        if (!hasSwitch()) fail("no_switch", "this needs Koppla Växel");
        return voicemail.markHeard(Number(payload.id));
      case "voicemail_delete":
        if (!hasSwitch()) fail("no_switch", "this needs Koppla Växel");
        return voicemail.remove(Number(payload.id));
      case "voicemail_save":
        if (!hasSwitch()) fail("no_switch", "this needs Koppla Växel");
        return voicemail.save(Number(payload.id));
      // Address books need real servers; the real-webview test covers them (addressbooks.test.mjs).
      case "address_books_list":
        return [];
      case "voicemail_settings_get":
        if (!hasSwitch()) fail("no_switch", "this needs Koppla Växel");
        return voicemail.settings();
      case "voicemail_pin_set":
        return voicemail.setPin(String(payload.pin ?? ""));
      case "greeting_upload":
        return voicemail.uploadGreeting(payload.kind as GreetingKindView, payload.wav as number[]);
      case "greeting_delete":
        return voicemail.deleteGreeting(payload.kind as GreetingKindView);
      case "greeting_play":
        return null;
      case "voicemail_notify_set":
        return voicemail.setNotify(Boolean(payload.enabled), (payload.address as string | null) ?? null, Boolean(payload.attachAudio));
      case "audio_devices":
        return audioDevices();
      case "audio_level":
        // A talking microphone while a call is up, silence otherwise.
        return calls.calls.some((call) => call.phase === "established") ? -20 - Math.random() * 10 : -96;
      case "contacts_list":
        return state.contacts.map((c) => ({ ...c }));
      case "contact_save":
        return contactSave((payload.id as number | null) ?? null, payload.input as ContactInput);
      case "contact_delete": {
        const before = state.contacts.length;
        state.contacts = state.contacts.filter((c) => c.id !== Number(payload.id));
        if (state.contacts.length === before) fail("not_found", `no contact ${String(payload.id)}`);
        persist();
        return null;
      }
      case "history_list":
        return historyList(payload.filter as HistoryFilter, Number(payload.offset ?? 0), Number(payload.limit ?? 50));
      case "history_mark_seen":
        for (const row of state.history) row.seen = true;
        persist();
        return null;
      case "missed_count":
        return state.history.filter((row) => row.missed && !row.seen).length;
      case "open_external": {
        // Like external.rs: web pages and mail only.
        const url = String(payload.url);
        if (!/^(https?:\/\/|mailto:)/i.test(url)) fail("invalid_input", "only http(s) and mailto addresses are opened");
        opened.push(url);
        return null;
      }
      default:
        throw new Error(`mock backend: unknown command ${cmd}`);
    }
  },
  { shouldMockEvents: true },
);

/** Lets tests simulate the world outside the window: links, the hotkey, the far end of calls. */
(window as unknown as { koppla: unknown }).koppla = {
  async dialRequest(origin: "link" | "hotkey", raw: string) {
    const parsed = outcome(raw);
    const autoDial = parsed.kind === "dialable" && (origin === "hotkey" || state.settings.linkAction === "callAtOnce");
    const request: DialRequest = { id: nextRequestId++, origin, raw, outcome: parsed, autoDial };
    const digits = digitsOf(raw);
    if (digits !== null) dials.set(request.id, digits);
    pending.push(request);
    // Like dial_request.rs: the hotkey and "call at once" links are dialled here, not by the UI.
    if (autoDial && digits !== null) {
      try {
        place(digits);
      } catch (error) {
        await emit("engine-notice", error);
      }
    }
    await emit("dial-request-ready", request.id);
  },
  incoming(remote: string, name: string | null = null) {
    // The call engine auto-answers when nothing else is going on, as the Rust side is configured to.
    const busy = calls.calls.some((call) => call.phase !== "ended");
    const id = calls.incoming(remote, name);
    if (state.settings.autoAnswer && !busy) setTimeout(() => calls.act(id, "answer"), 100);
    return id;
  },
  remoteAnswer: () => calls.remoteAnswer(),
  remoteHangup: (id?: number) => calls.remoteHangup(id),
  /** My activity changed in another client (the switch's event stream). */
  activityElsewhere(id: string, note: string | null = null, until: string | null = null) {
    activity = activityFor(id, until, note);
    void emit("activity-changed", activity);
  },
  /** A colleague changed activity; the backend reloads the directory and says so. */
  colleagueActivity(entryId: string, id: string, note: string | null = null) {
    setColleagueActivity(entryId, id, note);
    void emit("search-changed", null);
  },
  /** A colleague's phone starts or stops ringing or talking (the switch's on_call_changed event). */
  /** A call rings `username`'s phone (they show as on a call; it can be picked up). */
  colleagueRinging(entryId: string, username: string) {
    colleagueRinging.add(username);
    setColleagueOnCall(entryId, true);
    void emit("search-changed", null);
  },
  colleagueOnCall(entryId: string, onCall = true) {
    setColleagueOnCall(entryId, onCall);
    void emit("search-changed", null);
  },
  /** A caller starts waiting in a queue (the switch's queue_changed event). */
  queueCaller(id: string) {
    queues.callerArrives(id);
  },
  /** A call held in someone's personal queue (`refuse`: my pick-up is not allowed; `state`,
   * `by`, `target`: camped, or a transfer ringing or come back). */
  parkedElsewhere(caller: string, callerName: string | null, owner: string, ownerName: string, options: AddOptions = {}) {
    return parked.add(caller, callerName, owner, ownerName, options).id;
  },
  /** A supervised transfer was not answered in time: it comes back (the newest one by default). */
  transferUnanswered(id?: string) {
    return parked.recall(id ?? parked.newestRinging() ?? "");
  },
  /** The colleague answered a transfer or a camped call: it leaves the list. */
  transferAnswered(id?: string) {
    return parked.answered(id ?? parked.newestRinging() ?? "");
  },
  /** A parked caller hangs up while waiting. */
  parkedHangup(id: string) {
    parked.hangUp(id);
  },
  /** A caller left a voicemail message (the switch's MWI event); answers its id. */
  voicemailLeft(caller: string, callerName: string | null = null, durationMs = 2000) {
    return voicemail.left(caller, callerName, durationMs);
  },
  /** A plain SIP server's message-waiting NOTIFY (RFC 3842). */
  messageWaiting(newMessages: number, oldMessages = 0) {
    voicemail.notify(newMessages, oldMessages);
  },
  voicemailSaved: voicemail.savedFiles,
  /** The engine could not write a recording (disk full, folder gone). */
  recordingFailed(reason: string) {
    void emit("engine-notice", { code: "recording_failed", message: reason });
  },
  registrationError(error: string) {
    if (state.session.state === "online") setSession({ ...state.session, registered: false, registration_error: error });
  },
  reset() {
    localStorage.removeItem("koppla.mock");
  },
  opened,
};
