// Drag and drop transfer (checklist 36): an answered or held call card is dragged onto a search
// hit. The call being dragged is kept here too, because a drop target may only read the drag's
// types (not its data) until the drop, and it wants to show whose call would land on it.
import { useEffect, useState } from "preact/hooks";
import type { CallAction } from "../bindings/CallAction";
import type { CallView } from "../bindings/CallView";

/** The drag data type that carries a call id. */
export const CALL_MIME = "application/x-koppla-call";

export interface DraggedCall {
  id: number;
  /** Who is on the call, as shown while dragging. */
  caller: string;
}

let dragged: DraggedCall | null = null;
const listeners = new Set<(call: DraggedCall | null) => void>();

function setDragged(call: DraggedCall | null) {
  if (dragged?.id === call?.id) return;
  dragged = call;
  for (const listener of listeners) listener(call);
}

/** The call being dragged now, or null. */
export function useDraggedCall(): DraggedCall | null {
  const [call, setCall] = useState(dragged);
  useEffect(() => {
    listeners.add(setCall);
    setCall(dragged);
    return () => void listeners.delete(setCall);
  }, []);
  return call;
}

/** Starts dragging `call`: its id in the data, its caller's name in the text and the drag image. */
export function startCallDrag(event: DragEvent, call: CallView) {
  const caller = call.remoteName ?? call.remote;
  const data = event.dataTransfer;
  if (data) {
    data.setData(CALL_MIME, String(call.id));
    data.setData("text/plain", caller);
    data.effectAllowed = "move";
    // The caller's name under the pointer, not a picture of the whole card.
    const ghost = document.createElement("div");
    ghost.className = "drag-ghost";
    ghost.textContent = caller;
    document.body.appendChild(ghost);
    data.setDragImage?.(ghost, 12, 12);
    window.setTimeout(() => ghost.remove(), 0);
  }
  setDragged({ id: call.id, caller });
}

/** The drag ended, dropped or not. */
export function endCallDrag() {
  setDragged(null);
}

/** Whether a drag carries a Koppla call (the only drags a search hit takes). */
export function carriesCall(event: DragEvent): boolean {
  const types = event.dataTransfer?.types;
  return types ? Array.from(types).includes(CALL_MIME) : false;
}

/** The dragged call's id at the drop, from the drag data or (if a browser withholds it) the drag. */
export function droppedCallId(event: DragEvent): number | null {
  const raw = event.dataTransfer?.getData(CALL_MIME);
  const id = raw ? Number(raw) : dragged?.id;
  return id !== undefined && Number.isInteger(id) ? id : null;
}

/**
 * What a drop on a hit with `number` does: a blind transfer, or camp-on when the hit is a busy
 * colleague (camp-on offered) and Alt is held or the drop lands on the hit's camp-on zone.
 */
export function dropAction(number: string, { campOnOffered, altKey, onCampOnZone }:
  { campOnOffered: boolean; altKey: boolean; onCampOnZone: boolean }): CallAction {
  return campOnOffered && (altKey || onCampOnZone) ? { campOn: { user: number } } : { blindTransfer: { target: number } };
}
