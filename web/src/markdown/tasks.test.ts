import { describe, expect, it } from "vitest";
import { toggleTask } from "./tasks";

describe("toggleTask", () => {
  const source = "Look-alike: - [ ] not a task\n\n```\n- [ ] in code\n```\n\n- [ ] first\n- [x] second\n  1. [X] nested\n> * [ ] quoted\n";
  const at = (item: string) => source.indexOf(item);

  it("ticks and unticks exactly the item at the offset", () => {
    expect(toggleTask(source, at("- [ ] first"))).toBe(source.replace("- [ ] first", "- [x] first"));
    expect(toggleTask(source, at("- [x] second"))).toBe(source.replace("- [x] second", "- [ ] second"));
    expect(toggleTask(source, at("1. [X] nested"))).toBe(source.replace("1. [X] nested", "1. [ ] nested"));
    expect(toggleTask(source, at("* [ ] quoted"))).toBe(source.replace("* [ ] quoted", "* [x] quoted"));
  });

  it("changes nothing where no task item starts", () => {
    expect(toggleTask(source, at("[ ] not a task"))).toBeNull();
    expect(toggleTask(source, at("first"))).toBeNull();
    expect(toggleTask(source, source.length + 5)).toBeNull();
  });
});
