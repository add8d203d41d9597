import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { translateErrorCode } from "../i18n";
import { asUiError, onParked, parkedList, parkedPickUp, type ParkedCallView, type UiError } from "../ipc";
import { formatWait } from "./queues";

/** Seconds parked call `call` has waited at `nowMs`, from the time the switch parked it. */
export function parkedSeconds(call: ParkedCallView, nowMs: number): number {
  return Math.max(0, Math.floor(nowMs / 1000) - call.since);
}

/**
 * The parked calls I may see, loaded once and then replaced by every `parked-changed` event.
 * Nothing is asked for without a switch (`enabled` false): plain SIP has no parking.
 */
export function useParked(enabled: boolean): ParkedCallView[] {
  const { run } = useShell();
  const [parked, setParked] = useState<ParkedCallView[]>([]);
  useEffect(() => {
    if (!enabled) {
      setParked([]);
      return;
    }
    // An event is the whole list and newer than any answer still on its way.
    let live = false;
    const stop = onParked((list) => {
      live = true;
      setParked(list);
    });
    void run(parkedList).then((list) => {
      if (list && !live) setParked(list);
    });
    return () => void stop.then((unlisten) => unlisten());
  }, [enabled]);
  return parked;
}

/** How long each camp-on reminder blinks, in seconds. */
export const REMINDER_BLINK_SECS = 3;

/**
 * The camp-on reminder (checklist 102) for a call I camped on a colleague that still waits there:
 * "blink" for the first REMINDER_BLINK_SECS of every `everySecs` it has waited, "due" between the
 * blinks once the first reminder came (a static marker where motion is reduced), otherwise null.
 * Never for my own queue, transfers or recalled calls, nor with the reminder off (0).
 */
export function campOnReminder(call: ParkedCallView, nowMs: number, everySecs: number): "blink" | "due" | null {
  if (!call.byMe || call.mine || call.state !== "parked" || !(everySecs > 0)) return null;
  const waited = parkedSeconds(call, nowMs);
  if (waited < everySecs) return null;
  return waited % everySecs < REMINDER_BLINK_SECS ? "blink" : "due";
}

interface Props {
  parked: readonly ParkedCallView[];
  nowMs: number;
}

/** Recalled calls first: they came back and someone should take them now; otherwise as listed. */
export function parkedOrder(parked: readonly ParkedCallView[]): ParkedCallView[] {
  const rank = (call: ParkedCallView) => (call.state === "recalled" ? 0 : 1);
  return [...parked].sort((a, b) => rank(a) - rank(b));
}

/**
 * Calls the switch holds: waiting in personal queues (parked or camped), my transfers still
 * ringing a colleague (with a button to take one back) and those that came back unanswered
 * (marked), each with its wait and a button to take it. A call I camped on a colleague blinks red
 * at the camp-on reminder interval while it still waits there.
 */
export function ParkedList({ parked, nowMs }: Props) {
  const { t, lang, settings } = useShell();
  const [taking, setTaking] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  const pickUp = async (call: ParkedCallView) => {
    setTaking(call.id);
    setError(null);
    try {
      // The call then rings in and is answered by the app; it shows up among my calls. A
      // transfer still ringing stops ringing the colleague.
      await parkedPickUp(call.id);
    } catch (failure) {
      setError(asUiError(failure));
    } finally {
      setTaking(null);
    }
  };

  /** Where the call stands, e.g. "Min kö", "Väntar hos Bo · parkerad av dig", "Ringer hos Bo". */
  const whereText = (call: ParkedCallView) => {
    const owner = call.ownerName || call.owner;
    const target = call.targetName ?? call.target ?? "?";
    switch (call.state) {
      case "ringing":
        return [t("parked.ringing", { name: target }), !call.mine && t("parked.transferredBy", { name: owner })];
      case "recalled":
        return [t("parked.recalled", { name: target }), !call.mine && t("parked.recalledTheirs", { name: owner })];
      default: {
        const by = call.by && call.by !== call.owner ? (call.byMe ? t("parked.byMe") : t("parked.by", { name: call.by })) : null;
        return [call.mine ? t("parked.mine") : t("parked.owner", { name: owner }), by];
      }
    }
  };

  return (
    <section class="parked" data-testid="parked" aria-labelledby="parked-heading">
      <h3 id="parked-heading">{t("parked.heading")}</h3>
      {error && (
        <p class="parked-error" role="alert" data-testid="parked-error">
          <span>{t("parked.failed", { message: translateErrorCode(lang, error.code, error.message) })}</span>
          <button class="link" aria-label={t("error.dismiss")} title={t("error.dismiss")} onClick={() => setError(null)}>
            ×
          </button>
        </p>
      )}
      <ul>
        {parkedOrder(parked).map((call) => {
          const who = call.callerName ?? call.caller;
          const [where, extra] = whereText(call);
          const ringing = call.state === "ringing";
          const recalled = call.state === "recalled";
          const reminder = campOnReminder(call, nowMs, settings.campOnReminderSecs);
          const camped = call.byMe && !call.mine && call.state === "parked";
          const classes = [
            "parked-call",
            `state-${call.state}`,
            call.mine && "mine",
            camped && "camped",
            reminder && "overdue",
            reminder === "blink" && "remind",
          ].filter(Boolean).join(" ");
          const title = recalled
            ? t("parked.recalledHint", { name: call.targetName ?? call.target ?? "?" })
            : reminder
              ? t("parked.remind", { caller: who, name: call.ownerName || call.owner, wait: formatWait(parkedSeconds(call, nowMs)) })
              : undefined;
          return (
            <li
              key={call.id}
              class={classes}
              data-testid={`parked-${call.id}`}
              data-remind={reminder ?? undefined}
              title={title}
            >
              <div class="parked-who">
                <strong data-testid="parked-caller">
                  {recalled && <span class="parked-alert" data-testid={`parked-alert-${call.id}`} aria-hidden="true" />}
                  {reminder && <span class="parked-remind" data-testid={`parked-remind-${call.id}`} aria-hidden="true" />}
                  {who}
                </strong>
                <small data-testid="parked-owner">
                  <span class="parked-state" data-testid={`parked-state-${call.id}`} data-state={call.state}>
                    {where}
                  </span>
                  {extra && <span class="parked-by"> · {extra}</span>}
                  {call.callerName && <span class="number"> · {call.caller}</span>}
                </small>
              </div>
              <time
                class="parked-wait"
                title={ringing ? t("parked.ringingFor") : t("parked.waited")}
                data-testid="parked-wait"
              >
                {formatWait(parkedSeconds(call, nowMs))}
              </time>
              {ringing ? (
                <button
                  data-testid="parked-take-back"
                  aria-label={t("parked.takeBackLabel", { name: who, target: call.targetName ?? call.target ?? "?" })}
                  disabled={taking !== null}
                  onClick={() => void pickUp(call)}
                >
                  {t("parked.takeBack")}
                </button>
              ) : (
                <button
                  class="primary"
                  data-testid="parked-pick-up"
                  aria-label={t("parked.pickUpLabel", { name: who })}
                  disabled={taking !== null}
                  onClick={() => void pickUp(call)}
                >
                  {t("parked.pickUp")}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
