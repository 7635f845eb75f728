import { describe, expect, it } from "vitest";
import { writtenLabels } from "./resolve";

describe("writtenLabels", () => {
  it("lists each label once, as first written", () => {
    expect(writtenLabels("[[Pool sizing]], [[pool SIZING|it]] and [[Retry budget]]; [[open")).toEqual(["Pool sizing", "Retry budget"]);
  });
});
