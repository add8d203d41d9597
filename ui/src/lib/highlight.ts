// Search hits carry `[start, end)` spans in Unicode scalar values (Rust `char`s), not UTF-16
// code units, so the text is split with Array.from before slicing.

export interface Segment {
  text: string;
  mark: boolean;
}

/**
 * Turns a text plus match spans into plain and marked segments. Spans may arrive unsorted,
 * overlapping or out of range (they come over IPC); they are clipped and merged, never thrown on.
 */
export function highlightSegments(text: string, spans: ReadonlyArray<readonly [number, number]>): Segment[] {
  const chars = Array.from(text);
  const clipped = spans
    .map(([start, end]) => [Math.max(0, Math.floor(start)), Math.min(chars.length, Math.floor(end))] as const)
    .filter(([start, end]) => Number.isFinite(start) && Number.isFinite(end) && start < end)
    .sort((a, b) => a[0] - b[0]);

  const merged: [number, number][] = [];
  for (const [start, end] of clipped) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }

  const segments: Segment[] = [];
  let at = 0;
  for (const [start, end] of merged) {
    if (start > at) segments.push({ text: chars.slice(at, start).join(""), mark: false });
    segments.push({ text: chars.slice(start, end).join(""), mark: true });
    at = end;
  }
  if (at < chars.length || segments.length === 0) {
    segments.push({ text: chars.slice(at).join(""), mark: false });
  }
  return segments;
}
