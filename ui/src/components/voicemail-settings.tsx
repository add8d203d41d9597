import { useEffect, useRef, useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import {
  greetingDelete,
  greetingPlay,
  greetingUpload,
  voicemailNotifySet,
  voicemailPinSet,
  voicemailSettingsGet,
  voicemailStop,
  type GreetingKindView,
  type VoicemailSettingsView,
} from "../ipc";
import { formatDuration } from "../lib/format";

const KIND_LABEL: Record<GreetingKindView, TextKey> = {
  default: "voicemail.greeting.default",
  busy: "voicemail.greeting.busy",
  noAnswer: "voicemail.greeting.noAnswer",
};

/** My mailbox on Koppla Växel: the PIN for other phones, my greetings (upload, listen, delete;
 * recording is on the phone menu's 5) and the e-mail notice of new messages (checklist 43, 45). */
export function VoicemailSettings() {
  const { t, run } = useShell();
  const [view, setView] = useState<VoicemailSettingsView | null>(null);
  const [pin, setPin] = useState("");
  const [pinSaved, setPinSaved] = useState(false);
  const [address, setAddress] = useState("");
  // Saves go to the switch one after another: leaving the address field and ticking a box
  // right after are two saves, and the later one must win.
  const saving = useRef<Promise<unknown>>(Promise.resolve());
  const wanted = useRef({ enabled: false, attachAudio: true });

  const load = async () => {
    const loaded = await run(voicemailSettingsGet);
    if (!loaded) return;
    setView(loaded);
    setAddress(loaded.notify?.address ?? "");
    if (loaded.notify) wanted.current = { enabled: loaded.notify.enabled, attachAudio: loaded.notify.attachAudio };
  };
  useEffect(() => void load(), []);

  if (!view) return null;

  const savePin = async () => {
    const done = await run(() => voicemailPinSet(pin).then(() => true));
    if (!done) return;
    setPin("");
    setPinSaved(true);
    setView({ ...view, pinSet: true });
  };

  const upload = async (kind: GreetingKindView, input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const stored = await run(() => greetingUpload(kind, bytes));
    if (stored) setView({ ...view, greetings: view.greetings.map((g) => (g.kind === kind ? stored : g)) });
  };

  const remove = async (kind: GreetingKindView) => {
    const done = await run(() => greetingDelete(kind).then(() => true));
    if (done) {
      setView({
        ...view,
        greetings: view.greetings.map((g) => (g.kind === kind ? { kind, stored: false, durationMs: null } : g)),
      });
    }
  };

  const saveNotify = (patch: { enabled?: boolean; attachAudio?: boolean }) => {
    if (!view.notify) return;
    wanted.current = { ...wanted.current, ...patch };
    const { enabled, attachAudio } = wanted.current;
    const to = address.trim() || null;
    saving.current = saving.current.then(async () => {
      const saved = await run(() => voicemailNotifySet(enabled, to, attachAudio));
      if (saved) setView((current) => (current ? { ...current, notify: saved } : current));
    });
  };

  return (
    <details class="voicemail-settings" data-testid="voicemail-settings">
      <summary>{t("voicemail.settings")}</summary>
      <label>
        {t("voicemail.pin")}
        <span class="inline">
          <input
            type="password"
            inputMode="numeric"
            autoComplete="new-password"
            maxLength={10}
            data-testid="voicemail-pin"
            value={pin}
            onInput={(e) => {
              setPin(e.currentTarget.value);
              setPinSaved(false);
            }}
            onKeyDown={(e) => e.key === "Enter" && void savePin()}
          />
          <button data-testid="voicemail-pin-save" disabled={pin.trim() === ""} onClick={() => void savePin()}>
            {t("voicemail.pinSave")}
          </button>
        </span>
        <small class="hint" data-testid="voicemail-pin-status">
          {pinSaved ? t("voicemail.pinSaved") : view.pinSet ? t("voicemail.pinIsSet") : t("voicemail.pinNone")}
        </small>
      </label>

      {view.greetings.length > 0 && (
        <fieldset>
          <legend>{t("voicemail.greetings")}</legend>
          <small class="hint">{t("voicemail.greetingHint")}</small>
          <ul class="rows">
            {view.greetings.map((g) => (
              <li key={g.kind} class="row-item greeting" data-testid={`greeting-${g.kind}`}>
                <span class="main">
                  <strong>{t(KIND_LABEL[g.kind])}</strong>
                  <small class="sub" data-testid="greeting-state">
                    {g.stored
                      ? g.durationMs === null
                        ? t("voicemail.greetingUnreadable")
                        : formatDuration(g.durationMs)
                      : g.kind === "default"
                        ? t("voicemail.greetingNoneDefault")
                        : t("voicemail.greetingNone")}
                  </small>
                </span>
                <span class="actions">
                  {g.stored && (
                    <button data-testid="greeting-play" onClick={() => void run(() => greetingPlay(g.kind))}>
                      {t("voicemail.play")}
                    </button>
                  )}
                  {g.stored && (
                    <button data-testid="greeting-stop" onClick={() => void run(voicemailStop)}>
                      {t("voicemail.stop")}
                    </button>
                  )}
                  <label class="button">
                    {t("voicemail.upload")}
                    <input
                      type="file"
                      accept="audio/wav,audio/x-wav,.wav"
                      data-testid="greeting-upload"
                      onChange={(e) => void upload(g.kind, e.currentTarget)}
                    />
                  </label>
                  {g.stored && (
                    <button class="danger" data-testid="greeting-delete" onClick={() => void remove(g.kind)}>
                      {t("voicemail.delete")}
                    </button>
                  )}
                </span>
              </li>
            ))}
          </ul>
        </fieldset>
      )}

      {view.notify && (
        <fieldset data-testid="voicemail-notify">
          <legend>{t("voicemail.notify")}</legend>
          {!view.notify.mailConfigured && <small class="hint">{t("voicemail.notifyNoMail")}</small>}
          <label class="check">
            <input
              type="checkbox"
              data-testid="voicemail-notify-enabled"
              checked={view.notify.enabled}
              onChange={(e) => saveNotify({ enabled: e.currentTarget.checked })}
            />
            {t("voicemail.notifyEnabled")}
          </label>
          <label>
            {t("voicemail.notifyAddress")}
            <input
              type="email"
              data-testid="voicemail-notify-address"
              placeholder={view.notify.directoryEmail}
              value={address}
              onInput={(e) => setAddress(e.currentTarget.value)}
              onBlur={() => saveNotify({})}
              onKeyDown={(e) => e.key === "Enter" && saveNotify({})}
            />
          </label>
          <label class="check">
            <input
              type="checkbox"
              data-testid="voicemail-notify-attach"
              checked={view.notify.attachAudio}
              onChange={(e) => saveNotify({ attachAudio: e.currentTarget.checked })}
            />
            {t("voicemail.notifyAttach")}
          </label>
        </fieldset>
      )}
    </details>
  );
}
