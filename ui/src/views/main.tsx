import { useEffect, useRef, useState } from "preact/hooks";
import { CallsPanel } from "../components/calls-panel";
import { StatusBar } from "../components/status-bar";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import {
  callAction,
  callsList,
  missedCount,
  onCalls,
  onHistory,
  onMenuCall,
  onVoicemail,
  voicemailGet,
  watchDialRequests,
  type CallView,
  type DialRequest,
  type MailboxView,
  type MenuTarget,
  type SessionView,
} from "../ipc";
import { callToAnswer, newIncoming, noteHeld } from "../lib/calls";
import { menuStep } from "../lib/menu";
import { callCommandFor, shortcutAction, type ShortcutAction } from "../lib/shortcuts";
import { ContactsView } from "./contacts";
import { HistoryView } from "./history";
import { SettingsView } from "./settings";
import { StartView } from "./start";
import { VoicemailView } from "./voicemail";

type Tab = "start" | "history" | "voicemail" | "contacts" | "settings";
const TABS: { id: Tab; label: TextKey }[] = [
  { id: "start", label: "nav.start" },
  { id: "history", label: "nav.history" },
  { id: "voicemail", label: "nav.voicemail" },
  { id: "contacts", label: "nav.contacts" },
  { id: "settings", label: "nav.settings" },
];

interface Props {
  session: Extract<SessionView, { state: "online" }>;
  onCalls: (calls: CallView[]) => void;
  onHistoryChanged: () => void;
  /** A view the menu bar asked for (File, Tools); `seq` changes with every choice. */
  menuRequest?: { target: MenuTarget; seq: number } | null;
}

/** The logged-in window: tabs, the call list, and the status bar with device controls. */
export function MainView({ session, onCalls: setCalls, onHistoryChanged, menuRequest }: Props) {
  const shell = useShell();
  const { t, settings, calls, historyVersion, run } = shell;
  const [tab, setTab] = useState<Tab>("start");
  const [dialRequest, setDialRequest] = useState<DialRequest | null>(null);
  const [missed, setMissed] = useState(0);
  const [mailbox, setMailbox] = useState<MailboxView | null>(null);
  const previous = useRef<CallView[]>([]);

  useEffect(() => {
    void run(callsList).then((list) => list && setCalls(list));
    const stopCalls = onCalls(setCalls);
    const stopHistory = onHistory(onHistoryChanged);
    // The mailbox is followed on every tab: its badge says when a message is left.
    void run(voicemailGet).then((box) => box && setMailbox(box));
    const stopVoicemail = onVoicemail(setMailbox);
    const stopDial = watchDialRequests((request) => {
      setTab("start");
      // The hotkey (and links, when the user chose to call them at once) are dialled by Rust
      // already; the start page only comes forward. Anything else waits for the user.
      if (request.autoDial && request.outcome.kind === "dialable") setDialRequest(null);
      else setDialRequest(request);
    });
    return () => {
      for (const stop of [stopCalls, stopHistory, stopVoicemail, stopDial]) void stop.then((unlisten) => unlisten());
    };
  }, []);

  useEffect(() => {
    void run(missedCount).then((count) => count !== undefined && setMissed(count));
  }, [historyVersion]);

  // Showing a new call. Auto-answer is not done here: the call engine gets `autoAnswer` at login
  // and answers by itself; the ringtone and call-waiting tone play in Rust (ringtone.rs).
  useEffect(() => {
    const before = previous.current;
    previous.current = calls;
    // Every list, so "Transfer here" knows which call was held last even when no hit is shown.
    noteHeld(calls);
    const fresh = newIncoming(before, calls);
    // Desktop notifications and raising the window are done in Rust (calls.rs), which also
    // works while the window is hidden in the tray.
    if (fresh.length > 0) setTab((current) => (current === "settings" ? "start" : current));
    // The title is what the taskbar shows, so a ringing call is visible even when minimised.
    const ringing = callToAnswer(calls);
    document.title = ringing ? `${t("call.incoming")}: ${ringing.remoteName ?? ringing.remote} – Koppla` : "Koppla";
  }, [calls]);

  // Enter answers a ringing call when enabled; numpad Enter always does (checklist 69).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Enter") return;
      const ringing = callToAnswer(calls);
      if (!ringing) return;
      if (!settings.answerWithEnter && event.code !== "NumpadEnter") return;
      const target = event.target as HTMLElement | null;
      if (target?.tagName === "TEXTAREA" || target?.tagName === "BUTTON") return;
      event.preventDefault();
      event.stopPropagation();
      void run(() => callAction(ringing.id, "answer"));
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [calls, settings.answerWithEnter]);

  // The call shortcuts from Settings, and the Call menu's items, which run the same actions. The
  // key recorder there keeps its keys to itself. Calls and keys are read when the key is pressed,
  // so a key pressed right after a change acts on it.
  const current = useRef({ calls, keys: settings.callKeys });
  current.current = { calls, keys: settings.callKeys };
  useEffect(() => {
    const perform = (action: ShortcutAction) => {
      if (action === "focusSearch") {
        setTab("start");
        // The start page may only now be rendering its search box.
        window.setTimeout(() => document.querySelector<HTMLInputElement>("input.search")?.focus());
        return;
      }
      const command = callCommandFor(action, current.current.calls);
      if (command) void run(() => callAction(command.id, command.action));
    };
    const onKey = (event: KeyboardEvent) => {
      if ((event.target as HTMLElement | null)?.dataset?.recording) return;
      const action = shortcutAction(event, current.current.keys);
      if (!action) return;
      event.preventDefault();
      perform(action);
    };
    window.addEventListener("keydown", onKey);
    const stopMenu = onMenuCall(perform);
    return () => {
      window.removeEventListener("keydown", onKey);
      void stopMenu.then((unlisten) => unlisten());
    };
  }, []);

  // File and Tools menu items: the tab, then the part of it they name.
  useEffect(() => {
    const step = menuRequest && menuStep(menuRequest.target);
    if (!step) return;
    setTab(step.tab);
    const { reveal, press } = step;
    if (!reveal) return;
    // After the tab has rendered.
    window.setTimeout(() => {
      const element = document.querySelector<HTMLElement>(reveal);
      element?.scrollIntoView({ block: "start" });
      if (press) element?.click();
    });
  }, [menuRequest?.seq]);

  // Alt+1..5 jump between the tabs so the window works without a mouse (checklist 79).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const index = Number(event.key) - 1;
      const target = TABS[index];
      if (!target) return;
      event.preventDefault();
      setTab(target.id);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const openHistory = () => setTab("history");

  return (
    <div class={`shell mode-${settings.viewMode}`}>
      <nav class="tabs" aria-label={t("app.title")}>
        {TABS.map(({ id, label }) => (
          <button
            key={id}
            class={tab === id ? "tab active" : "tab"}
            aria-current={tab === id ? "page" : undefined}
            data-testid={`tab-${id}`}
            title={`${t(label)} (Alt+${TABS.findIndex((entry) => entry.id === id) + 1})`}
            onClick={() => setTab(id)}
          >
            <span class="tab-label">{t(label)}</span>
            {id === "history" && missed > 0 && (
              <span class="badge" data-testid="missed-badge" title={t("nav.missed", { count: String(missed) })}>
                {missed}
              </span>
            )}
            {id === "voicemail" && (mailbox?.new ?? 0) > 0 && (
              <span
                class="badge"
                data-testid="voicemail-badge"
                title={t("nav.newVoicemail", { count: String(mailbox?.new ?? 0) })}
              >
                {mailbox?.new}
              </span>
            )}
          </button>
        ))}
      </nav>
      <div class="body">
        <CallsPanel parking={session.switch_features} />
        <main class="view">
          {tab === "start" && (
            <StartView
              session={session}
              missed={missed}
              request={dialRequest}
              onDismiss={() => setDialRequest(null)}
              onOpenHistory={openHistory}
            />
          )}
          {tab === "history" && <HistoryView onSeen={() => setMissed(0)} />}
          {tab === "voicemail" && <VoicemailView mailbox={mailbox} />}
          {tab === "contacts" && <ContactsView />}
          {tab === "settings" && <SettingsView session={session} />}
        </main>
      </div>
      <StatusBar session={session} />
    </div>
  );
}
