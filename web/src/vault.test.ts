import { describe, expect, it } from "vitest";
import { importable, importBody } from "./vault";

const md = (name: string) => new File(["# Note"], name, { type: "text/markdown" });
const zip = (name: string) => new File([new Uint8Array([0x50, 0x4b, 5, 6])], name, { type: "application/zip" });

/** A file picked in a folder: the browser gives its path within the folder. */
function inFolder(path: string): File {
  const f = md(path.split("/").pop() ?? path);
  Object.defineProperty(f, "webkitRelativePath", { value: path });
  return f;
}

describe("vault import", () => {
  it("sends one zip as it is", () => {
    const z = zip("vault.zip");
    expect(importBody([z])).toBe(z);
  });

  it("sends Markdown files, or several zips, as the parts of a form", () => {
    const body = importBody([md("Pool sizing.md"), zip("a.zip"), zip("b.ZIP")]);
    expect(body).toBeInstanceOf(FormData);
    expect((body as FormData).getAll("files").map((f) => (f as File).name)).toEqual(["Pool sizing.md", "a.zip", "b.ZIP"]);
  });

  it("names each part of a folder by its path, and leaves out what the import would skip", () => {
    const body = importBody([inFolder("Ops/Runbooks/Pool sizing.md"), inFolder("Ops/.obsidian/workspace.md"), inFolder("Ops/.trash/Old.md"), inFolder("Ops/diagram.png")]);
    expect((body as FormData).getAll("files").map((f) => (f as File).name)).toEqual(["Ops/Runbooks/Pool sizing.md"]);
  });

  it("has nothing to send when no file can be imported", () => {
    expect(importBody([inFolder("Ops/diagram.png")])).toBeNull();
    expect(importBody([])).toBeNull();
  });

  it("takes Markdown and zips in any case, outside hidden folders", () => {
    expect(importable("Notes/A.MD")).toBe(true);
    expect(importable(".hidden.md")).toBe(true);
    expect(importable("Vault/.git/HEAD.md")).toBe(false);
    expect(importable("notes.txt")).toBe(false);
  });
});
