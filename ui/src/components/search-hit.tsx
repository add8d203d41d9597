import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { callAction, colleaguePickUp, type SearchResultsView } from "../ipc";
import { carriesCall, droppedCallId, dropAction, endCallDrag, useDraggedCall } from "../lib/call-drag";
import { isTalking } from "../lib/calls";
import { safeColor } from "../lib/format";
import { highlightSegments } from "../lib/highlight";
import { MessageMenu } from "./message-menu";
import { CampOnButton, TransferHereButton } from "./transfer-here";

type Hit = SearchResultsView["hits"][number];

interface Props {
  id: string;
  hit: Hit;
  selected: boolean;
  onCall: () => void;
  onHover: () => void;
  /** Koppla Växel account: a call can be camped on a busy colleague. */
  canCampOn?: boolean;
}

const KIND_BADGE: Record<string, TextKey> = { favourite: "hit.favourite", vip: "hit.vip", blocked: "hit.blocked" };
const SOURCE: Record<string, TextKey> = { colleague: "hit.colleague", contact: "hit.contact", addressBook: "hit.addressBook" };

/** A colleague who cannot take a call now: on the phone already, or their activity says so (e.g. a
 * meeting or do not disturb). */
export const isBusy = (hit: Hit) =>
  hit.source === "colleague" && hit.presence !== null && (hit.presence.onCall || !hit.presence.reachable);

/** A colleague on a call now (ringing or talking), as the switch says. */
const onThePhone = (hit: Hit) => hit.source === "colleague" && hit.presence?.onCall === true;

/** Takes the call ringing a colleague (directed pickup): my phone answers it by itself. The switch
 * checks the permission and says when nothing rings there (only talking). */
function PickUpButton({ user, name }: { user: string; name: string }) {
  const { t, run } = useShell();
  return (
    <button
      class="pick-up"
      data-testid="hit-pick-up"
      aria-label={t("hit.pickUpTitle", { name })}
      title={t("hit.pickUpTitle", { name })}
      onClick={(event) => {
        event.stopPropagation();
        void run(() => colleaguePickUp(user));
      }}
    >
      {t("hit.pickUp")}
    </button>
  );
}

/** Whether a drag event is over a hit's camp-on zone (its "Camp on" button). */
const onCampOnZone = (event: DragEvent) =>
  event.target instanceof Element && event.target.closest("[data-drop-zone=camp-on]") !== null;

/** A search hit: presence dot, name, badges, and the matched field with the match marked; the
 * selected hit offers "Send message" when the person has an e-mail address. While I hold a call
 * (or have one), every hit with a number offers "Transfer here", and a busy colleague "Camp on"
 * with a Koppla Växel account. A colleague on a call is marked so. The buttons sit on a row of
 * their own under the hit on a narrow window. A call card dropped on a hit with a number is
 * transferred there (camped on a busy colleague with Alt or on the "Camp on" button). */
export function SearchHit({ id, hit, selected, onCall, onHover, canCampOn = false }: Props) {
  const { t, calls, run } = useShell();
  const dragged = useDraggedCall();
  // A call dragged over this hit: would the drop camp it on (rather than transfer it)?
  const [over, setOver] = useState<{ campOn: boolean } | null>(null);
  useEffect(() => {
    if (!dragged) setOver(null);
  }, [dragged]);
  const number = hit.number;
  const campOnOffered = canCampOn && isBusy(hit);

  const onDragOver = (event: DragEvent) => {
    if (!number || !carriesCall(event)) return;
    // Taking the drop: the browser only drops where dragover was cancelled.
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "move";
    const campOn = campOnOffered && (event.altKey || onCampOnZone(event));
    if (over?.campOn !== campOn) setOver({ campOn });
  };
  const onDragLeave = (event: DragEvent) => {
    const to = event.relatedTarget;
    if (!(to instanceof Node && (event.currentTarget as Element).contains(to))) setOver(null);
  };
  const onDrop = (event: DragEvent) => {
    if (!number || !carriesCall(event)) return;
    event.preventDefault();
    event.stopPropagation();
    setOver(null);
    const callId = droppedCallId(event);
    endCallDrag();
    const call = calls.find((c) => c.id === callId && isTalking(c));
    if (!call) return;
    const action = dropAction(number, { campOnOffered, altKey: event.altKey, onCampOnZone: onCampOnZone(event) });
    void run(() => callAction(call.id, action));
  };
  const dropping = over !== null && dragged !== null;
  const color = safeColor(hit.presence?.color);
  const badge = KIND_BADGE[hit.kind];
  const source = SOURCE[hit.source];
  // The name line is highlighted when the name matched; otherwise the matched field gets its own line.
  const marked = (
    <span class="field">
      {highlightSegments(hit.fieldText, hit.spans).map((segment, index) =>
        segment.mark ? <mark key={index}>{segment.text}</mark> : <span key={index}>{segment.text}</span>,
      )}
    </span>
  );

  return (
    <li
      id={id}
      role="option"
      aria-selected={selected}
      class={[
        "hit",
        `kind-${hit.kind}`,
        onThePhone(hit) && "on-call",
        selected && "selected",
        dragged && number && "drop-ready",
        dropping && "drop-over",
        dropping && over.campOn && "drop-camp-on",
      ].filter(Boolean).join(" ")}
      data-testid="hit"
      onMouseEnter={onHover}
      onClick={onCall}
      onDragEnter={onDragOver}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      <span
        class="presence"
        style={color ? { background: color } : undefined}
        title={
          hit.presence
            ? [onThePhone(hit) ? t("hit.onCall") : null, hit.presence.label, hit.presence.note].filter(Boolean).join(" – ")
            : undefined
        }
        aria-hidden="true"
      />
      <span class="main">
        <span class="name">
          {hit.field === "name" ? marked : hit.name}
          {badge && <span class={`tag tag-${hit.kind}`}>{t(badge)}</span>}
        </span>
        <small class="sub">
          {hit.field !== "name" ? marked : hit.subtitle || (source ? t(source) : "")}
          {onThePhone(hit) && (
            <span class="on-call-label">
              {" · "}
              <strong data-testid="hit-on-call">{t("hit.onCall")}</strong>
            </span>
          )}
          {hit.presence && (
            <span class="presence-label">
              {" · "}
              {hit.presence.label}
              {hit.presence.note ? ` – ${hit.presence.note}` : ""}
            </span>
          )}
        </small>
      </span>
      <span class="number">{hit.number ?? t("hit.noNumber")}</span>
      {hit.number && (
        <span class="hit-transfer">
          {canCampOn && onThePhone(hit) && <PickUpButton user={hit.number} name={hit.name} />}
          {canCampOn && isBusy(hit) && <CampOnButton user={hit.number} name={hit.name} testId="hit-camp-on" />}
          <TransferHereButton target={hit.number} name={hit.name} testId="hit-transfer" />
        </span>
      )}
      {dropping && (
        <span class="hit-drop" data-testid="hit-drop" role="status">
          {t(over.campOn ? "hit.dropCampOn" : "hit.dropTransfer", { caller: dragged.caller, name: hit.name })}
          {campOnOffered && !over.campOn && <small> ({t("hit.dropCampOnHint")})</small>}
        </span>
      )}
      {selected && hit.emails.length > 0 && (
        // Choosing a message must not also call the person (a click on the row calls).
        <span class="hit-actions" onClick={(event) => event.stopPropagation()}>
          <MessageMenu name={hit.name} emails={hit.emails} compact />
        </span>
      )}
    </li>
  );
}
