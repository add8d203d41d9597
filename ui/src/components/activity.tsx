import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import {
  activityCurrent,
  activityOptions,
  activitySet,
  onActivity,
  type ActivityChange,
  type ActivityOptionView,
  type ActivityView,
} from "../ipc";
import { activityLabel, formatUntil, untilFields, untilFrom } from "../lib/activity";
import { safeColor } from "../lib/format";

const MAX_NOTE = 500;

/** My activity on the start page; a click opens the picker. Renders nothing without a switch. */
export function OwnActivity() {
  const { run } = useShell();
  const [current, setCurrent] = useState<ActivityView | null>(null);
  const [options, setOptions] = useState<ActivityOptionView[]>([]);
  const [open, setOpen] = useState(false);

  useEffect(() => {
    const stop = onActivity(setCurrent);
    void run(activityCurrent).then((activity) => {
      if (!activity) return;
      setCurrent((live) => live ?? activity);
      void run(activityOptions).then((list) => list && setOptions(list));
    });
    return () => void stop.then((unlisten) => unlisten());
  }, []);

  if (!current) return null;
  const save = async (change: ActivityChange) => {
    const saved = await run(() => activitySet(change));
    if (!saved) return false;
    setCurrent(saved);
    setOpen(false);
    return true;
  };

  return (
    <>
      <ActivityBadge activity={current} options={options} onOpen={() => setOpen(true)} />
      {open && <ActivityPicker current={current} options={options} onSave={save} onCancel={() => setOpen(false)} />}
    </>
  );
}

interface BadgeProps {
  activity: ActivityView;
  options: readonly ActivityOptionView[];
  onOpen: () => void;
}

export function ActivityBadge({ activity, options, onOpen }: BadgeProps) {
  const { t, lang } = useShell();
  const color = safeColor(activity.color);
  const until = formatUntil(activity.until, lang, new Date());
  return (
    <button
      class="activity"
      data-testid="activity"
      aria-haspopup="dialog"
      title={t("activity.change")}
      onClick={onOpen}
    >
      <span class="presence" style={color ? { background: color } : undefined} aria-hidden="true" />
      <span class="activity-text">
        <span data-testid="activity-label">{activityLabel(activity, options, lang)}</span>
        {until && (
          <small data-testid="activity-until">
            {" "}
            {t("activity.until", { time: until })}
          </small>
        )}
        {activity.note && (
          <small class="note" data-testid="activity-note">
            {activity.note}
          </small>
        )}
      </span>
    </button>
  );
}

interface PickerProps {
  current: ActivityView;
  options: readonly ActivityOptionView[];
  /** Resolves true when saved; false leaves the picker open (the notice says why). */
  onSave: (change: ActivityChange) => Promise<boolean>;
  onCancel: () => void;
}

/** Choose an activity from the switch's list, with an optional end time and note. */
export function ActivityPicker({ current, options, onSave, onCancel }: PickerProps) {
  const { t, lang } = useShell();
  const initial = untilFields(current.until);
  const [id, setId] = useState(current.id);
  const [date, setDate] = useState(initial.date);
  const [time, setTime] = useState(initial.time);
  const [note, setNote] = useState(current.note ?? "");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const until = untilFrom(date, time, new Date());
    if (until.kind === "invalid" || until.kind === "past") {
      setProblem(t(until.kind === "past" ? "activity.untilPast" : "activity.untilInvalid"));
      return;
    }
    setProblem(null);
    setBusy(true);
    const trimmed = note.trim();
    await onSave({ id, until: until.kind === "at" ? until.iso : null, note: trimmed ? trimmed : null });
    setBusy(false);
  };

  return (
    <form
      class="activity-picker"
      role="dialog"
      aria-label={t("activity.heading")}
      data-testid="activity-picker"
      onSubmit={(event) => void submit(event)}
      onKeyDown={(event) => event.key === "Escape" && onCancel()}
    >
      <fieldset role="radiogroup">
        <legend>{t("activity.heading")}</legend>
        {options.length === 0 && <small class="hint">{t("activity.loading")}</small>}
        {options.map((option) => {
          const color = safeColor(option.color);
          return (
            <label class="check" key={option.id}>
              <input
                type="radio"
                name="activity"
                value={option.id}
                data-testid={`activity-option-${option.id}`}
                checked={option.id === id}
                onChange={() => setId(option.id)}
              />
              <span class="presence" style={color ? { background: color } : undefined} aria-hidden="true" />
              {activityLabel(option, options, lang)}
            </label>
          );
        })}
      </fieldset>
      <label>
        {t("activity.untilLabel")}
        <span class="row">
          <input
            type="date"
            data-testid="activity-until-date"
            aria-label={t("activity.untilDate")}
            placeholder={t("activity.datePlaceholder")}
            value={date}
            onInput={(e) => setDate(e.currentTarget.value)}
          />
          <input
            type="time"
            data-testid="activity-until-time"
            aria-label={t("activity.untilTime")}
            placeholder={t("activity.timePlaceholder")}
            value={time}
            onInput={(e) => setTime(e.currentTarget.value)}
          />
        </span>
        <small class="hint">{t("activity.untilHint")}</small>
      </label>
      <label>
        {t("activity.note")}
        <input
          data-testid="activity-note-input"
          maxLength={MAX_NOTE}
          value={note}
          placeholder={t("activity.notePlaceholder")}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </label>
      {problem && (
        <small class="error" role="alert" data-testid="activity-problem">
          {problem}
        </small>
      )}
      <div class="actions">
        <button type="submit" class="primary" data-testid="activity-save" disabled={busy}>
          {t("activity.save")}
        </button>
        <button type="button" onClick={onCancel}>
          {t("activity.cancel")}
        </button>
      </div>
    </form>
  );
}
