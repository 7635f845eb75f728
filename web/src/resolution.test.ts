import { describe, expect, it } from "vitest";
import { fixedBefore, fixedBeforeShort, refusal } from "./resolution";

const now = Date.parse("2025-06-10T12:00:00Z");
const threeDaysAgo = "2025-06-07T12:00:00Z";

describe("resolution", () => {
  it("says who fixed a regressed error, when and in which release", () => {
    expect(fixedBefore({ resolved_by: "kate", resolved_at: threeDaysAgo, release: "2.3.1" }, now)).toBe("Fixed before by kate 3d ago in release 2.3.1");
  });

  it("leaves out what is not known", () => {
    expect(fixedBefore({ resolved_by: null, resolved_at: threeDaysAgo, release: null }, now)).toBe("Fixed before 3d ago");
    expect(fixedBefore({ resolved_by: "kate", resolved_at: threeDaysAgo }, now)).toBe("Fixed before by kate 3d ago");
  });

  it("gives a toast the short form, without the time", () => {
    expect(fixedBeforeShort({ resolved_by: "kate", resolved_at: threeDaysAgo, release: "2.3.1" })).toBe("fixed before by kate in release 2.3.1");
    expect(fixedBeforeShort({ resolved_at: threeDaysAgo, release: "2.3.1" })).toBe("fixed before in release 2.3.1");
    expect(fixedBeforeShort({ resolved_at: threeDaysAgo })).toBe("fixed before");
  });

  it("puts a refusal under the field it names", () => {
    expect(refusal("fix_link: must be an http(s) URL, such as the commit or pull request")).toEqual({ field: "fix_link", text: "must be an http(s) URL, such as the commit or pull request" });
    expect(refusal("release: at most 100 characters")).toEqual({ field: "release", text: "at most 100 characters" });
    expect(refusal("resolution.cause: too long")).toEqual({ field: "cause", text: "too long" });
  });

  it("keeps a refusal of the whole resolution, or anything else, for the form", () => {
    expect(refusal("resolution: tell the cause, the fix, or both")).toEqual({ field: null, text: "tell the cause, the fix, or both" });
    expect(refusal("Failed to fetch")).toEqual({ field: null, text: "Failed to fetch" });
    expect(refusal("status: unknown variant")).toEqual({ field: null, text: "status: unknown variant" });
  });
});
