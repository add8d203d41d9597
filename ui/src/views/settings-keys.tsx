import { useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import {
  checkKeys,
  comboFromEvent,
  parseCombo,
  SHORTCUT_ACTIONS,
  type ShortcutAction,
  type ShortcutProblem,
} from "../lib/shortcuts";

const LABELS: Record<ShortcutAction, TextKey> = {
  answer: "settings.keys.answer",
  hangup: "settings.keys.hangup",
  hold: "settings.keys.hold",
  mute: "settings.keys.mute",
  focusSearch: "settings.keys.focusSearch",
};

/**
 * Settings → keyboard shortcuts for calls: click a box and press the combination to record it.
 * A combination that would break typing, repeats another or is the global hotkey is refused
 * with the reason, and the old one stays.
 */
export function CallKeysSettings() {
  const { t, settings, saveSettings } = useShell();
  const [recording, setRecording] = useState<ShortcutAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const keys = settings.callKeys;

  const explain = (problem: ShortcutProblem, combo: string, action: ShortcutAction) => {
    const other = SHORTCUT_ACTIONS.find((a) => a !== action && keys[a] === combo);
    return t(`settings.keys.error.${problem}`, { combo, other: other ? t(LABELS[other]) : "" });
  };

  const store = (action: ShortcutAction, combo: string) => {
    setError(null);
    void saveSettings({ ...settings, callKeys: { ...keys, [action]: combo } });
  };

  const onKeyDown = (action: ShortcutAction, event: KeyboardEvent) => {
    const field = event.currentTarget as HTMLElement | null;
    const plain = !event.ctrlKey && !event.altKey && !event.metaKey;
    // Tab and Shift+Tab still move on, so the form works without a mouse.
    if (plain && event.key === "Tab") return;
    // Otherwise the recorder owns every key while it listens, so nothing else in the window reacts.
    event.preventDefault();
    event.stopPropagation();
    if (plain && !event.shiftKey && event.key === "Escape") {
      setError(null);
      field?.blur();
      return;
    }
    const pressed = comboFromEvent(event);
    if (!pressed) return;
    const parsed = parseCombo(pressed);
    if ("problem" in parsed) {
      setError(explain(parsed.problem, pressed, action));
      return;
    }
    const taken = SHORTCUT_ACTIONS.some((other) => other !== action && keys[other] === parsed.combo);
    const problem = taken ? "duplicate" : checkKeys({ ...keys, [action]: parsed.combo }, settings.hotkey)[action];
    if (problem) {
      setError(explain(problem, parsed.combo, action));
      return;
    }
    store(action, parsed.combo);
    field?.blur();
  };

  return (
    <fieldset data-testid="settings-keys">
      <legend>{t("settings.groupKeys")}</legend>
      {SHORTCUT_ACTIONS.map((action) => (
        <label key={action}>
          {t(LABELS[action])}
          <span class="row">
            <input
              class="key-recorder"
              readOnly
              data-testid={`key-${action}`}
              data-recording={recording === action ? "true" : undefined}
              value={recording === action ? t("settings.keys.record") : keys[action] || t("settings.keys.none")}
              onFocus={() => setRecording(action)}
              onBlur={() => setRecording((current) => (current === action ? null : current))}
              onKeyDown={(event) => onKeyDown(action, event)}
            />
            <button
              type="button"
              data-testid={`key-clear-${action}`}
              title={t("settings.keys.clear", { action: t(LABELS[action]) })}
              aria-label={t("settings.keys.clear", { action: t(LABELS[action]) })}
              disabled={keys[action] === ""}
              onClick={() => store(action, "")}
            >
              ×
            </button>
          </span>
        </label>
      ))}
      {error && (
        <small class="error" role="alert" data-testid="keys-error">
          {error}
        </small>
      )}
      <small class="hint">{t("settings.keys.hint")}</small>
    </fieldset>
  );
}
