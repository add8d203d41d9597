import { useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { callAction, conference, type CallAction, type CallView } from "../ipc";
import { endCallDrag, startCallDrag, useDraggedCall } from "../lib/call-drag";
import { endReasonKey, isRingingIn, isTalking } from "../lib/calls";
import { externalAppLink, formatDuration } from "../lib/format";
import { KeypadIcon, MicIcon, ParkIcon, PauseIcon, PhoneIcon } from "./icons";
import { Keypad } from "./keypad";
import { TransferPanel } from "./transfer";

interface Props {
  call: CallView;
  now: number;
  /** Koppla Växel account: an answered call can be parked in my personal queue. */
  canPark?: boolean;
}

/** One call: who, its phase and timer, and the buttons that make sense in that phase. An answered
 * or held call can be dragged onto a search hit to transfer it there (search-hit.tsx). */
export function CallCard({ call, now, canPark = false }: Props) {
  const { t, settings, run, calls } = useShell();
  const [panel, setPanel] = useState<"keypad" | "transfer" | null>(null);
  const act = (action: CallAction) => void run(() => callAction(call.id, action));
  const toggle = (which: "keypad" | "transfer") => setPanel((open) => (open === which ? null : which));
  const talking = isTalking(call);
  const dragging = useDraggedCall()?.id === call.id;
  const inConference = call.conference !== undefined;
  // Answered calls, held or not: those a merge joins.
  const canMerge = calls.filter(isTalking).length >= 2;
  const external = externalAppLink(settings.externalAppUrl, call.remote);

  const ended = call.phase === "ended" ? endReasonKey(call.endReason) : null;
  const phaseText = ended ? t(`call.ended.${ended}` as TextKey) : t(`call.phase.${call.phase}` as TextKey);

  return (
    <article
      class={`call phase-${call.phase}${talking ? " draggable" : ""}${dragging ? " dragging" : ""}`}
      data-testid={`call-${call.id}`}
      aria-label={call.remoteName ?? call.remote}
      draggable={talking}
      // An ended card fades out over the time it stays (Settings; calls.rs then removes it).
      style={call.phase === "ended" ? { "--ended-linger": `${settings.endedCardSecs}s` } : undefined}
      onDragStart={(event) => {
        if (talking) startCallDrag(event, call);
        else event.preventDefault();
      }}
      onDragEnd={endCallDrag}
    >
      <header>
        <div>
          <small>
            {talking && (
              <span class="drag-handle" data-testid="call-drag" title={t("call.dragHint")} aria-hidden="true">
                ⠿
              </span>
            )}
            {t(call.direction === "incoming" ? "call.incoming" : "call.outgoing")}
          </small>
          <strong class="who">{call.remoteName ?? call.remote}</strong>
          {call.remoteName && <small class="number">{call.remote}</small>}
          {call.via && (
            <small class="via" data-testid="call-via">
              {t("call.via", { via: call.via })}
            </small>
          )}
          {call.recall && (
            <small class="via recall" data-testid="call-recall">
              {t("call.recall")}
            </small>
          )}
        </div>
        <div class="state">
          <span data-testid="call-phase">{phaseText}</span>
          {call.answeredAt !== null && call.phase !== "ended" && (
            <time class="timer" data-testid="call-timer">
              {formatDuration(now - call.answeredAt)}
            </time>
          )}
          {call.recording && call.phase !== "ended" && <span class="rec">● {t("call.recording")}</span>}
          {inConference && call.phase !== "ended" && (
            <span class="conference" data-testid="call-in-conference">
              {t("call.inConference", { count: String(call.conference) })}
            </span>
          )}
        </div>
      </header>

      {isRingingIn(call) && (
        <div class="actions">
          <button class="primary answer" data-testid="call-answer" onClick={() => act("answer")}>
            {t("call.answer")}
          </button>
          <button class="danger" data-testid="call-reject" onClick={() => act("reject")}>
            {t("call.reject")}
          </button>
          {settings.answerWithEnter && <small class="hint">{t("call.answerHint")}</small>}
        </div>
      )}

      {talking && (
        // Hold, mute and hang-up get a row of their own at the top, so no open panel and no
        // narrow window can push them away; the rarer actions wrap below.
        <>
          <div class="actions call-main">
            {call.phase === "held" ? (
              <button class="with-icon" data-testid="call-resume" onClick={() => act("resume")}>
                <PauseIcon />
                {t("call.resume")}
              </button>
            ) : (
              <button
                class="with-icon"
                data-testid="call-hold"
                title={t("call.holdHint")}
                disabled={call.phase !== "established"}
                onClick={() => act("hold")}
              >
                <PauseIcon />
                {t("call.hold")}
              </button>
            )}
            {/* In a narrow card the microphone icon alone says it (styles.css), so hang-up
                stays on the row; the label remains for screen readers and as a tooltip. */}
            <button
              class="with-icon call-mute"
              aria-pressed={call.muted}
              data-testid="call-mute"
              title={t(call.muted ? "call.unmute" : "call.mute")}
              onClick={() => act(call.muted ? "unmute" : "mute")}
            >
              <MicIcon off={call.muted} />
              <span class="label">{t(call.muted ? "call.unmute" : "call.mute")}</span>
            </button>
            <button class="danger push with-icon" data-testid="call-hangup" title={t("call.hangupHint")} onClick={() => act("hangup")}>
              <PhoneIcon down />
              {t("call.hangup")}
            </button>
          </div>
          <div class="actions wrap call-more">
            <button
              class="with-icon"
              aria-pressed={panel === "keypad"}
              data-testid="call-keypad"
              onClick={() => toggle("keypad")}
            >
              <KeypadIcon />
              {t("call.keypad")}
            </button>
            <button aria-pressed={panel === "transfer"} data-testid="call-transfer" onClick={() => toggle("transfer")}>
              {t("call.transfer")}
            </button>
            {canPark && (
              <button
                class="with-icon"
                data-testid="call-park"
                title={t("call.parkHint")}
                aria-label={t("call.park")}
                onClick={() => act("park")}
              >
                <ParkIcon />
                {t("call.park")}
              </button>
            )}
            <button
              aria-pressed={call.recording}
              data-testid="call-record"
              onClick={() => act(call.recording ? "stopRecording" : "startRecording")}
            >
              {t(call.recording ? "call.stopRecord" : "call.record")}
            </button>
            {inConference ? (
              <button aria-pressed data-testid="call-conference" onClick={() => void run(() => conference("split"))}>
                {t("call.conferenceSplit")}
              </button>
            ) : (
              <button
                disabled={!canMerge}
                title={canMerge ? t("call.conferenceHint") : t("call.conferenceNeedsTwo")}
                data-testid="call-conference"
                onClick={() => void run(() => conference("merge"))}
              >
                {t("call.conference")}
              </button>
            )}
            {external && (
              <a class="button" href={external} target="_blank" rel="noopener noreferrer">
                {t("call.external")}
              </a>
            )}
          </div>
        </>
      )}

      {!talking && call.phase !== "ended" && !isRingingIn(call) && (
        <div class="actions">
          <button class="danger with-icon" data-testid="call-hangup" title={t("call.hangupHint")} onClick={() => act("hangup")}>
            <PhoneIcon down />
            {t("call.hangup")}
          </button>
        </div>
      )}

      {talking && panel === "keypad" && <Keypad callId={call.id} />}
      {talking && panel === "transfer" && <TransferPanel call={call} onDone={() => setPanel(null)} />}
    </article>
  );
}
