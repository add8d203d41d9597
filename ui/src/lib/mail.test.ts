import { describe, expect, it } from "vitest";
import { isEmailAddress, mailtoLink } from "./mail";

describe("mailto links", () => {
  it("joins addresses with the chosen separator, each once", () => {
    expect(mailtoLink(["britt@ek.se", "pelle@holm.se", " britt@ek.se "], "semicolon")).toBe(
      "mailto:britt@ek.se;pelle@holm.se",
    );
    expect(mailtoLink(["britt@ek.se", "pelle@holm.se"], "comma")).toBe("mailto:britt@ek.se,pelle@holm.se");
  });

  it("puts the template into subject and body, encoded", () => {
    expect(mailtoLink(["britt@ek.se"], "semicolon", "Ring mig när du kan")).toBe(
      "mailto:britt@ek.se?subject=Ring%20mig%20n%C3%A4r%20du%20kan&body=Ring%20mig%20n%C3%A4r%20du%20kan",
    );
    expect(mailtoLink(["a@b.se"], "comma", "Möte 9 & 10?")).toBe(
      "mailto:a@b.se?subject=M%C3%B6te%209%20%26%2010%3F&body=M%C3%B6te%209%20%26%2010%3F",
    );
    expect(mailtoLink(["a@b.se"], "comma", "  ")).toBe("mailto:a@b.se");
  });

  it("leaves out anything that is not a plain address, and gives null when none is left", () => {
    expect(isEmailAddress("a+b@example.com")).toBe(true);
    expect(isEmailAddress("a@b.se?bcc=x@y.se")).toBe(false);
    expect(isEmailAddress("a@b.se;c@d.se")).toBe(false);
    expect(isEmailAddress("no-at-sign")).toBe(false);
    expect(mailtoLink(["a@b.se?bcc=spy@x.se", "ok@b.se"], "semicolon")).toBe("mailto:ok@b.se");
    expect(mailtoLink(["", "x"], "semicolon")).toBeNull();
    expect(mailtoLink(["a+b@example.com"], "comma")).toBe("mailto:a%2Bb@example.com");
  });
});
