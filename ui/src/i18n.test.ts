import { describe, expect, it } from "vitest";
import { englishTable, initialLang, missingKeys, swedishTable, translate, translateErrorCode } from "./i18n";

describe("i18n", () => {
  it("defaults to Swedish", () => {
    expect(initialLang(null, "sv-SE")).toBe("sv");
    expect(initialLang(null, "de-DE")).toBe("sv");
    expect(translate("sv", "nav.settings")).toBe("Inställningar");
  });

  it("uses English when chosen or when the system is English", () => {
    expect(initialLang("en", "sv-SE")).toBe("en");
    expect(initialLang(null, "en-GB")).toBe("en");
    expect(translate("en", "dial.confirm", { number: "070-123 45 67" })).toBe("Call 070-123 45 67?");
  });

  it("translates known error codes and keeps the message for unknown ones", () => {
    expect(translateErrorCode("sv", "too_long", "x")).toBe("texten är för lång");
    expect(translateErrorCode("en", "something_new", "raw message")).toBe("raw message");
    // A text can quote the backend's detail.
    expect(translateErrorCode("sv", "switch_config", "line 3: unknown field `parkk`")).toBe(
      "den inbyggda växelns inställningsfil (vaxel.toml) går inte att läsa: line 3: unknown field `parkk`",
    );
  });

  it("leaves unknown placeholders visible rather than blank", () => {
    expect(translate("sv", "dial.confirm")).toBe("Ringa {number}?");
  });
});

describe("translation tables", () => {
  it("has an English text for every Swedish key", () => {
    expect(missingKeys(englishTable)).toEqual([]);
  });
  it("reports keys that are missing", () => {
    expect(missingKeys({ "app.title": "Koppla" })).toContain("nav.start");
  });
  it("keeps the same placeholders in both languages", () => {
    const placeholders = (text: string) => (text.match(/\{\w+\}/g) ?? []).sort().join(",");
    for (const [key, text] of Object.entries(swedishTable)) {
      expect([key, placeholders(englishTable[key as keyof typeof englishTable])]).toEqual([key, placeholders(text)]);
    }
  });
});
