import { describe, expect, it } from "vitest";
import { badge, verb } from "./notifications";

describe("notifications", () => {
  it("says what the actor did to the note", () => {
    expect(verb("comment")).toBe("commented on");
    expect(verb("mention")).toBe("mentioned you in");
  });

  it("still reads for a kind the UI does not know yet", () => {
    expect(verb("reaction")).toBe("wrote on");
  });

  it("keeps the nav's badge short", () => {
    expect(badge(1)).toBe("1");
    expect(badge(99)).toBe("99");
    expect(badge(100)).toBe("99+");
  });
});
