import { describe, expect, it } from "vitest";
import { highlightSegments } from "./highlight";

describe("highlightSegments", () => {
  it("marks one span in the middle", () => {
    expect(highlightSegments("Joanna Berg", [[2, 5]])).toEqual([
      { text: "Jo", mark: false },
      { text: "ann", mark: true },
      { text: "a Berg", mark: false },
    ]);
  });
  it("counts offsets in characters, not UTF-16 units", () => {
    expect(highlightSegments("😀Åsa", [[1, 4]])).toEqual([
      { text: "😀", mark: false },
      { text: "Åsa", mark: true },
    ]);
  });
  it("sorts, merges overlapping spans and clips out-of-range ones", () => {
    expect(highlightSegments("abcdef", [[4, 99], [0, 2], [1, 3]])).toEqual([
      { text: "abc", mark: true },
      { text: "d", mark: false },
      { text: "ef", mark: true },
    ]);
  });
  it("ignores empty and inverted spans", () => {
    expect(highlightSegments("abc", [[2, 2], [3, 1], [-5, -1]])).toEqual([{ text: "abc", mark: false }]);
  });
  it("returns one empty segment for empty text", () => {
    expect(highlightSegments("", [[0, 3]])).toEqual([{ text: "", mark: false }]);
  });
});
