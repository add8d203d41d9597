// The one module that talks to the Rust side. Everything else imports from here, so the UI can
// run in a plain browser with mocked IPC for tests (ui/e2e/mock-backend.ts).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AboutView } from "./bindings/AboutView";
import type { ActivityChange } from "./bindings/ActivityChange";
import type { ActivityOptionView } from "./bindings/ActivityOptionView";
import type { ActivityView } from "./bindings/ActivityView";
import type { AddressBookConfig } from "./bindings/AddressBookConfig";
import type { AddressBookInput } from "./bindings/AddressBookInput";
import type { AddressBookKind } from "./bindings/AddressBookKind";
import type { AddressBookView } from "./bindings/AddressBookView";
import type { AppSettings } from "./bindings/AppSettings";
import type { AudioDevicesView } from "./bindings/AudioDevicesView";
import type { CallAction } from "./bindings/CallAction";
import type { CallKeys } from "./bindings/CallKeys";
import type { CallView } from "./bindings/CallView";
import type { ContactInput } from "./bindings/ContactInput";
import type { ComponentLicence } from "./bindings/ComponentLicence";
import type { ContactView } from "./bindings/ContactView";
import type { DiagnosticsSaved } from "./bindings/DiagnosticsSaved";
import type { DialOutcome } from "./bindings/DialOutcome";
import type { DialRequest } from "./bindings/DialRequest";
import type { EmailSeparator } from "./bindings/EmailSeparator";
import type { ExternalAppOpen } from "./bindings/ExternalAppOpen";
import type { HistoryFilter } from "./bindings/HistoryFilter";
import type { HistoryRow } from "./bindings/HistoryRow";
import type { GreetingKindView } from "./bindings/GreetingKindView";
import type { GreetingView } from "./bindings/GreetingView";
import type { HotkeyStatus } from "./bindings/HotkeyStatus";
import type { LoginRequest } from "./bindings/LoginRequest";
import type { MailboxView } from "./bindings/MailboxView";
import type { MenuCall } from "./bindings/MenuCall";
import type { MenuTarget } from "./bindings/MenuTarget";
import type { ParkedCallView } from "./bindings/ParkedCallView";
import type { PlaybackView } from "./bindings/PlaybackView";
import type { QueueView } from "./bindings/QueueView";
import type { SearchResultsView } from "./bindings/SearchResultsView";
import type { SessionView } from "./bindings/SessionView";
import type { UiError } from "./bindings/UiError";
import type { VoicemailNotifyView } from "./bindings/VoicemailNotifyView";
import type { VoicemailSettingsView } from "./bindings/VoicemailSettingsView";
import type { VoicemailView } from "./bindings/VoicemailView";

export type {
  AboutView,
  ActivityChange,
  ActivityOptionView,
  ActivityView,
  AddressBookConfig,
  AddressBookInput,
  AddressBookKind,
  AddressBookView,
  AppSettings,
  AudioDevicesView,
  CallAction,
  CallKeys,
  CallView,
  ComponentLicence,
  ContactInput,
  ContactView,
  DiagnosticsSaved,
  DialOutcome,
  DialRequest,
  EmailSeparator,
  ExternalAppOpen,
  HistoryFilter,
  GreetingKindView,
  GreetingView,
  HistoryRow,
  HotkeyStatus,
  LoginRequest,
  MailboxView,
  MenuCall,
  MenuTarget,
  ParkedCallView,
  PlaybackView,
  QueueView,
  SearchResultsView,
  SessionView,
  UiError,
  VoicemailNotifyView,
  VoicemailSettingsView,
  VoicemailView,
};

export const EVENTS = {
  dialRequest: "dial-request-ready",
  session: "session-changed",
  calls: "calls-changed",
  history: "history-changed",
  activity: "activity-changed",
  search: "search-changed",
  queue: "queue-changed",
  parked: "parked-changed",
  notice: "engine-notice",
  voicemail: "voicemail-changed",
  addressBooks: "address-books-changed",
  playback: "voicemail-playback",
  menuNavigate: "menu://navigate",
  menuCall: "menu://call",
} as const;

/** Commands reject with a `UiError` ({code, message}); this narrows unknown rejections to one. */
export function asUiError(error: unknown): UiError {
  if (error && typeof error === "object" && "code" in error && "message" in error) {
    return error as UiError;
  }
  return { code: "unknown", message: String(error) };
}

// Links and the hotkey
export const takePendingDialRequests = () => invoke<DialRequest[]>("take_pending_dial_requests");
export const hotkeyGet = () => invoke<string>("hotkey_get");
export const hotkeySet = (accelerator: string) => invoke<HotkeyStatus>("hotkey_set", { accelerator });

// Address books (CardDAV, LDAP): the password goes to the OS keychain, never back to the UI.
export const addressBooksList = () => invoke<AddressBookView[]>("address_books_list");
export const addressBookSave = (input: AddressBookInput) => invoke<AddressBookView>("address_book_save", { input });
export const addressBookRemove = (id: string) => invoke<null>("address_book_remove", { id });
/** How many people the book as typed holds; rejects with the typed reason it cannot be read. */
export const addressBookTest = (input: AddressBookInput) => invoke<number>("address_book_test", { input });
/** A book was read, added or removed: list them again. */
export const onAddressBooks = (handler: () => void) => listen<null>(EVENTS.addressBooks, () => handler());

// Settings
export const settingsGet = () => invoke<AppSettings>("settings_get");
export const settingsSet = (settings: AppSettings) => invoke<AppSettings>("settings_set", { settings });

/** Opens an http(s) page in the browser or a mailto: link in the mail client; nothing else. */
export const openExternal = (url: string) => invoke<void>("open_external", { url });

// Session
export const sessionGet = () => invoke<SessionView>("session_get");
export const login = (request: LoginRequest) => invoke<SessionView>("login", { request });
export const logout = () => invoke<SessionView>("logout");
/** Stops the login under way (the "Connecting…" view's Cancel); the login answers "cancelled". */
export const loginCancel = () => invoke<null>("login_cancel");

// Calls
export const callsList = () => invoke<CallView[]>("calls_list");
/** What to call: text the user typed or picked (a number or SIP address, read in Rust by the
 * same parser as links and the hotkey), or the number a link or the hotkey brought, by the id of
 * its request — the number itself never comes back from the UI. */
export type PlaceTarget = string | { requestId: number };
/** Places a call and answers its id; the call's view arrives through `onCalls`. */
export const callPlace = (target: PlaceTarget) =>
  typeof target === "string"
    ? invoke<number>("call_place", { target })
    : invoke<number>("dial_request_call", { id: target.requestId });
export const callAction = (id: number, action: CallAction) => invoke<void>("call_action", { id, action });
/** "merge" resumes held calls and joins every answered call into one conference; "split" ends it
 * and holds all but the newest member. Call views then show `conference` with the member count. */
export const conference = (action: "merge" | "split") => invoke<void>(`conference_${action}`);

// Search
export const search = (query: string, limit = 20) => invoke<SearchResultsView>("search", { query, limit });
/** What Enter in the search box dials: a hit's number or the typed number; null when nothing. */
export const searchEnter = (query: string) => invoke<string | null>("search_enter", { query });

// My activity on Koppla Växel (none with a plain SIP account)
export const activityCurrent = () => invoke<ActivityView | null>("activity_current");
export const activityOptions = () => invoke<ActivityOptionView[]>("activity_options");
export const activitySet = (change: ActivityChange) => invoke<ActivityView>("activity_set", { change });

// Call queues on Koppla Växel (an empty list with a plain SIP account)
export const queuesList = () => invoke<QueueView[]>("queues_list");
/** Logs me in to (`login` true) or out of a queue; answers the queue as it is now. */
export const queueLogin = (id: string, login: boolean) => invoke<QueueView>("queue_login", { id, login });

// Parked calls on Koppla Växel (an empty list with a plain SIP account). A call is parked with
// `callAction(id, "park")`: it leaves my calls and waits in my personal queue.
/** The parked calls I may see: mine, and everyone's when I may pick up. */
export const parkedList = () => invoke<ParkedCallView[]>("parked_list");
/** Asks the switch to ring me with parked call `id`; the app answers it by itself and it then
 * arrives through `onCalls` like any other call. */
export const parkedPickUp = (id: string) => invoke<null>("parked_pick_up", { id });
/** Takes the call ringing a colleague (user name or number): my phone answers it by itself. */
export const colleaguePickUp = (user: string) => invoke<null>("colleague_pick_up", { user });

// Voicemail: the messages on Koppla Växel (play, mark heard, delete, save), and the
// message-waiting counts any SIP server sends
/** My mailbox now; with Koppla Växel the list is fetched the first time. */
export const voicemailGet = () => invoke<MailboxView>("voicemail_get");
/** Plays message `id` on the chosen output device (on from where it was paused); the position
 * arrives through `onPlayback`, and a message played to the end is marked heard. */
export const voicemailPlay = (id: number) => invoke<null>("voicemail_play", { id });
export const voicemailPause = () => invoke<null>("voicemail_pause");
export const voicemailSeek = (positionMs: number) => invoke<null>("voicemail_seek", { positionMs });
export const voicemailStop = () => invoke<null>("voicemail_stop");
export const voicemailMarkHeard = (id: number) => invoke<null>("voicemail_mark_heard", { id });
/** Deletes the message and its audio on the switch (the UI waits a moment first, for undo). */
export const voicemailDelete = (id: number) => invoke<null>("voicemail_delete", { id });
/** Saves the message as a WAV file in the Downloads folder; answers the file's path. */
export const voicemailSave = (id: number) => invoke<string>("voicemail_save", { id });

// My mailbox's settings on Koppla Växel: PIN, greetings, e-mail notice
export const voicemailSettingsGet = () => invoke<VoicemailSettingsView>("voicemail_settings_get");
/** 4-10 digits; opens the mailbox from phones that are not mine. */
export const voicemailPinSet = (pin: string) => invoke<null>("voicemail_pin_set", { pin });
/** Stores a WAV file (any common format, at most two minutes) as one of my greetings. */
export const greetingUpload = (kind: GreetingKindView, wav: Uint8Array) =>
  invoke<GreetingView>("greeting_upload", { kind, wav: Array.from(wav) });
export const greetingDelete = (kind: GreetingKindView) => invoke<null>("greeting_delete", { kind });
/** Plays the greeting in the voicemail player (its playback id is below zero). */
export const greetingPlay = (kind: GreetingKindView) => invoke<null>("greeting_play", { kind });
export const voicemailNotifySet = (enabled: boolean, address: string | null, attachAudio: boolean) =>
  invoke<VoicemailNotifyView>("voicemail_notify_set", { enabled, address, attachAudio });

// Sound devices
export const audioDevices = () => invoke<AudioDevicesView>("audio_devices");
/** The microphone level in dBFS; -96 is silence. */
export const audioLevel = () => invoke<number>("audio_level");

// Contacts
export const contactsList = () => invoke<ContactView[]>("contacts_list");
export const contactSave = (id: number | null, input: ContactInput) =>
  invoke<ContactView>("contact_save", { id, input });
export const contactDelete = (id: number) => invoke<void>("contact_delete", { id });

// History
export const historyList = (filter: HistoryFilter, offset = 0, limit = 50) =>
  invoke<HistoryRow[]>("history_list", { filter, offset, limit });
export const historyMarkSeen = () => invoke<void>("history_mark_seen");
export const missedCount = () => invoke<number>("missed_count");

/** Calls `handler` with every dial request, including those that arrived before the UI started. */
export async function watchDialRequests(handler: (request: DialRequest) => void): Promise<UnlistenFn> {
  const drain = async () => {
    for (const request of await takePendingDialRequests()) handler(request);
  };
  const unlisten = await listen<number>(EVENTS.dialRequest, () => void drain());
  await drain();
  return unlisten;
}

export const onSession = (handler: (session: SessionView) => void) =>
  listen<SessionView>(EVENTS.session, (event) => handler(event.payload));
export const onCalls = (handler: (calls: CallView[]) => void) =>
  listen<CallView[]>(EVENTS.calls, (event) => handler(event.payload));
export const onHistory = (handler: () => void) => listen<null>(EVENTS.history, () => handler());
/** My activity changed, here or in another client. */
export const onActivity = (handler: (activity: ActivityView) => void) =>
  listen<ActivityView>(EVENTS.activity, (event) => handler(event.payload));
/** One queue's counters or agents changed (the switch's event stream). */
export const onQueue = (handler: (queue: QueueView) => void) =>
  listen<QueueView>(EVENTS.queue, (event) => handler(event.payload));
/** The parked calls I may see changed; the payload is the whole list. */
export const onParked = (handler: (parked: ParkedCallView[]) => void) =>
  listen<ParkedCallView[]>(EVENTS.parked, (event) => handler(event.payload));
/** Search results may differ now (a colleague's activity changed): run the query again. */
export const onSearchChanged = (handler: () => void) => listen<null>(EVENTS.search, () => handler());
/** My mailbox changed (a message left, heard or deleted, or new message-waiting counts). */
export const onVoicemail = (handler: (mailbox: MailboxView) => void) =>
  listen<MailboxView>(EVENTS.voicemail, (event) => handler(event.payload));
/** The message playing moved on, paused or ended. */
export const onPlayback = (handler: (playback: PlaybackView) => void) =>
  listen<PlaybackView>(EVENTS.playback, (event) => handler(event.payload));
/** A problem the engine reports on its own, e.g. a recording that could not be written. */
export const onNotice = (handler: (notice: UiError) => void) =>
  listen<UiError>(EVENTS.notice, (event) => handler(event.payload));

/** Help → About: the version Cargo built and the licences. */
export const aboutGet = () => invoke<AboutView>("about_get");
/** Runs a menu bar item by id, as choosing it in the menu does (e.g. "help.about"). */
export const menuActivate = (id: string) => invoke<void>("menu_activate", { id });
/** Writes the diagnostics zip and answers where it is, with a mail to support. */
export const diagnosticsSave = () => invoke<DiagnosticsSaved>("diagnostics_save");
/** A menu bar item asks the window to show a view. */
export const onMenuNavigate = (handler: (target: MenuTarget) => void) =>
  listen<MenuTarget>(EVENTS.menuNavigate, (event) => handler(event.payload));
/** A Call menu item: the same actions as the call keys. */
export const onMenuCall = (handler: (call: MenuCall) => void) =>
  listen<MenuCall>(EVENTS.menuCall, (event) => handler(event.payload));
