import { useEffect, useState } from "preact/hooks";
import { AddressBooks } from "../components/address-books";
import { DeviceSelect, useAudioDevices } from "../components/devices";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { hotkeyGet, hotkeySet, logout, type AppSettings, type ExternalAppOpen, type SessionView } from "../ipc";
import { clampSearchDelay, externalAppLink, MAX_SEARCH_DELAY_MS, MIN_SEARCH_DELAY_MS } from "../lib/format";
import { CallKeysSettings } from "./settings-keys";
import { MessageSettings } from "./settings-messages";

/** Like settings.rs: the camp-on reminder is off at 0 and at most hourly. */
const MAX_CAMP_ON_REMINDER_SECS = 3600;
/** Like settings.rs: an ended call's card stays at most a minute. */
const MAX_ENDED_CARD_SECS = 60;

interface Props {
  session: Extract<SessionView, { state: "online" }>;
}

type Flag = {
  [K in keyof AppSettings]: AppSettings[K] extends boolean ? K : never;
}[keyof AppSettings];

const CALL_FLAGS: [Flag, TextKey][] = [
  ["answerWithEnter", "settings.answerWithEnter"],
  ["autoAnswer", "settings.autoAnswer"],
  ["incomingPopup", "settings.incomingPopup"],
  ["notifications", "settings.notifications"],
];
/** Voice processing of the microphone: each switch reaches a call in progress at once. */
const VOICE_FLAGS: [Flag, TextKey, TextKey][] = [
  ["echoCancellation", "settings.echoCancellation", "settings.echoCancellationHint"],
  ["noiseSuppression", "settings.noiseSuppression", "settings.noiseSuppressionHint"],
  ["gainControl", "settings.gainControl", "settings.gainControlHint"],
];
const EXTERNAL_OPEN: readonly ExternalAppOpen[] = ["off", "whenRinging", "whenAnswered"];
const GENERAL_FLAGS: [Flag, TextKey][] = [
  ["stayLoggedIn", "settings.stayLoggedIn"],
  ["autostart", "settings.autostart"],
  ["minimalContactList", "settings.minimalContactList"],
];

/** Every client-side setting (checklist 61-87); each change is saved at once. */
export function SettingsView({ session }: Props) {
  const { t, settings, saveSettings, run, setSession } = useShell();
  const [hotkey, setHotkey] = useState(settings.hotkey);
  const [hotkeyStatus, setHotkeyStatus] = useState<string | null>(null);
  const [delay, setDelay] = useState(String(settings.searchDelayMs));
  const [reminder, setReminder] = useState(String(settings.campOnReminderSecs));
  const [endedCard, setEndedCard] = useState(String(settings.endedCardSecs));
  const [external, setExternal] = useState(settings.externalAppUrl ?? "");
  const [voicemailNumber, setVoicemailNumber] = useState(settings.voicemailNumber ?? "");
  const [externalBad, setExternalBad] = useState(false);
  const devices = useAudioDevices();
  // Only a build that says it has no processor disables the switches (older backends say nothing).
  const voiceProcessing = devices?.voiceProcessing !== false;

  useEffect(() => {
    void run(hotkeyGet).then((key) => {
      if (key === undefined) return;
      setHotkey(key);
      setHotkeyStatus(t("settings.hotkeyActive", { key }));
    });
  }, []);

  const update = (patch: Partial<AppSettings>) => void saveSettings({ ...settings, ...patch });

  const saveHotkey = async () => {
    const status = await run(() => hotkeySet(hotkey.trim()));
    if (!status) return;
    setHotkeyStatus(
      status.registered
        ? t("settings.hotkeyActive", { key: status.accelerator })
        : t("settings.hotkeyFailed", { key: status.accelerator, error: status.error ?? "" }),
    );
    if (status.registered) update({ hotkey: status.accelerator });
  };

  const saveDelay = () => {
    const value = clampSearchDelay(Number(delay));
    setDelay(String(value));
    if (value !== settings.searchDelayMs) update({ searchDelayMs: value });
  };

  const saveReminder = () => {
    const typed = Math.round(Number(reminder));
    const value = Number.isFinite(typed) ? Math.min(MAX_CAMP_ON_REMINDER_SECS, Math.max(0, typed)) : settings.campOnReminderSecs;
    setReminder(String(value));
    if (value !== settings.campOnReminderSecs) update({ campOnReminderSecs: value });
  };

  const saveEndedCard = () => {
    const typed = Math.round(Number(endedCard));
    const value = Number.isFinite(typed) ? Math.min(MAX_ENDED_CARD_SECS, Math.max(0, typed)) : settings.endedCardSecs;
    setEndedCard(String(value));
    if (value !== settings.endedCardSecs) update({ endedCardSecs: value });
  };

  const saveVoicemailNumber = () => {
    const value = voicemailNumber.trim();
    setVoicemailNumber(value);
    if ((value || null) !== settings.voicemailNumber) update({ voicemailNumber: value || null });
  };

  const saveExternal = () => {
    const value = external.trim();
    const bad = value !== "" && externalAppLink(value, "0") === null;
    setExternalBad(bad);
    if (!bad && (value || null) !== settings.externalAppUrl) update({ externalAppUrl: value || null });
  };

  const flag = ([key, label]: [Flag, TextKey]) => (
    <label class="check" key={key}>
      <input
        type="checkbox"
        data-testid={`setting-${key}`}
        checked={settings[key]}
        onChange={(e) => update({ [key]: e.currentTarget.checked })}
      />{" "}
      {t(label)}
    </label>
  );

  return (
    <section class="settings">
      <label>
        {t("settings.language")}
        <select data-testid="language" value={settings.language} onChange={(e) => update({ language: e.currentTarget.value })}>
          <option value="sv">Svenska</option>
          <option value="en">English</option>
        </select>
      </label>

      <fieldset>
        <legend>{t("settings.groupCalls")}</legend>
        {CALL_FLAGS.map(flag)}
        <label>
          {t("settings.linkAction")}
          <select
            data-testid="setting-linkAction"
            value={settings.linkAction}
            onChange={(e) => update({ linkAction: e.currentTarget.value === "callAtOnce" ? "callAtOnce" : "ask" })}
          >
            <option value="ask">{t("settings.linkAsk")}</option>
            <option value="callAtOnce">{t("settings.linkCall")}</option>
          </select>
        </label>
        <label>
          {t("settings.hotkey")}
          <span class="row">
            <input data-testid="hotkey" value={hotkey} onInput={(e) => setHotkey(e.currentTarget.value)} />
            <button onClick={() => void saveHotkey()}>{t("settings.hotkeySave")}</button>
          </span>
        </label>
        {hotkeyStatus && <small role="status">{hotkeyStatus}</small>}
      </fieldset>

      <CallKeysSettings />

      <fieldset data-testid="settings-audio">
        <legend>{t("settings.groupAudio")}</legend>
        {(
          [
            ["input", "audioInput", "settings.audioInput"],
            ["output", "audioOutput", "settings.audioOutput"],
            ["output", "audioRingtone", "settings.audioRingtone"],
          ] as const
        ).map(([role, key, label]) => (
          <label key={key}>
            {t(label)}
            <DeviceSelect
              role={role}
              devices={devices}
              value={settings[key]}
              label={t(label)}
              testId={`setting-${key}`}
              onChange={(name) => update({ [key]: name })}
            />
          </label>
        ))}
        {devices?.error && <small class="hint" data-testid="audio-error">{devices.error}</small>}
        {VOICE_FLAGS.map(([key, label, hint]) => (
          <label class="check" key={key}>
            <input
              type="checkbox"
              data-testid={`setting-${key}`}
              checked={settings[key]}
              disabled={!voiceProcessing}
              aria-describedby={`${key}-hint`}
              onChange={(e) => update({ [key]: e.currentTarget.checked })}
            />{" "}
            {t(label)}
            <small class="hint" id={`${key}-hint`}>
              {t(hint)}
            </small>
          </label>
        ))}
        {!voiceProcessing && (
          <small class="hint" data-testid="voice-processing-unavailable">
            {t("settings.voiceProcessingUnavailable")}
          </small>
        )}
        <small class="hint">{t("settings.audioHint")}</small>
      </fieldset>

      <fieldset>
        <legend>{t("settings.groupGeneral")}</legend>
        {GENERAL_FLAGS.map(flag)}
        <label>
          {t("settings.viewMode")}
          <select
            data-testid="setting-viewMode"
            value={settings.viewMode}
            aria-describedby="view-mode-hint"
            onChange={(e) => update({ viewMode: e.currentTarget.value as AppSettings["viewMode"] })}
          >
            {(["normal", "operator", "acd"] as const).map((mode) => (
              <option key={mode} value={mode}>
                {t(`settings.view.${mode}`)}
              </option>
            ))}
          </select>
          <small class="hint" id="view-mode-hint">
            {t("settings.consoleHint")}
          </small>
        </label>
      </fieldset>

      <fieldset>
        <legend>{t("settings.groupAdvanced")}</legend>
        <label>
          {t("settings.searchDelay")}
          <input
            type="number"
            data-testid="setting-searchDelayMs"
            min={MIN_SEARCH_DELAY_MS}
            max={MAX_SEARCH_DELAY_MS}
            step={10}
            value={delay}
            onInput={(e) => setDelay(e.currentTarget.value)}
            onBlur={saveDelay}
            onKeyDown={(e) => e.key === "Enter" && saveDelay()}
          />
        </label>
        <label>
          {t("settings.endedCard")}
          <input
            type="number"
            data-testid="setting-endedCardSecs"
            min={0}
            max={MAX_ENDED_CARD_SECS}
            step={1}
            value={endedCard}
            aria-describedby="ended-card-hint"
            onInput={(e) => setEndedCard(e.currentTarget.value)}
            onBlur={saveEndedCard}
            onKeyDown={(e) => e.key === "Enter" && saveEndedCard()}
          />
          <small class="hint" id="ended-card-hint">
            {t("settings.endedCardHint")}
          </small>
        </label>
        {session.switch_features && (
          <label>
            {t("settings.campOnReminder")}
            <input
              type="number"
              data-testid="setting-campOnReminderSecs"
              min={0}
              max={MAX_CAMP_ON_REMINDER_SECS}
              step={5}
              value={reminder}
              aria-describedby="camp-on-reminder-hint"
              onInput={(e) => setReminder(e.currentTarget.value)}
              onBlur={saveReminder}
              onKeyDown={(e) => e.key === "Enter" && saveReminder()}
            />
            <small class="hint" id="camp-on-reminder-hint">
              {t("settings.campOnReminderHint")}
            </small>
          </label>
        )}
        {!session.switch_features && (
          <label>
            {t("settings.voicemailNumber")}
            <input
              data-testid="setting-voicemailNumber"
              value={voicemailNumber}
              placeholder="*97"
              aria-describedby="voicemail-number-hint"
              onInput={(e) => setVoicemailNumber(e.currentTarget.value)}
              onBlur={saveVoicemailNumber}
              onKeyDown={(e) => e.key === "Enter" && saveVoicemailNumber()}
            />
            <small class="hint" id="voicemail-number-hint">
              {t("settings.voicemailNumberHint")}
            </small>
          </label>
        )}
        <label>
          {t("settings.externalApp")}
          <input
            data-testid="setting-externalAppUrl"
            value={external}
            placeholder="https://www.hitta.se/sök?vad={number}"
            onInput={(e) => setExternal(e.currentTarget.value)}
            onBlur={saveExternal}
            onKeyDown={(e) => e.key === "Enter" && saveExternal()}
          />
        </label>
        {externalBad && <small class="error">{t("settings.externalAppInvalid")}</small>}
        {flag(["acceptDirectCalls", "settings.acceptDirectCalls"])}
        <small class="hint">{t("settings.acceptDirectCallsHint")}</small>
        <label>
          {t("settings.externalAppOpen")}
          <select
            data-testid="setting-externalAppOpen"
            value={settings.externalAppOpen}
            onChange={(e) => {
              const value = EXTERNAL_OPEN.find((option) => option === e.currentTarget.value);
              if (value) update({ externalAppOpen: value });
            }}
          >
            {EXTERNAL_OPEN.map((option) => (
              <option key={option} value={option}>
                {t(`settings.externalAppOpen.${option}`)}
              </option>
            ))}
          </select>
        </label>
      </fieldset>

      <MessageSettings />

      <AddressBooks />

      <fieldset>
        <legend>{t("settings.groupAccount")}</legend>
        <p>{t("settings.loggedInAs", { user: session.username })}</p>
        <button class="danger" data-testid="logout" onClick={() => void run(logout).then((next) => next && setSession(next))}>
          {t("settings.logout")}
        </button>
      </fieldset>
    </section>
  );
}
