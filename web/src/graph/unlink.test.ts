import { describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { removeNoteLink, type Unlinker } from "./unlink";

const from = { id: 1, title: "Checkout outage" }, to = { id: 2, title: "Pool sizing" };

/** An API that refuses a link written in the body until asked to edit the body. */
function fakeApi(inBody: boolean) {
  const calls: string[] = [];
  const client: Unlinker = {
    removeLink: async (id, target, editBody) => {
      calls.push(`DELETE ${id}>${target}${editBody ? " edit_body" : ""}`);
      if (inBody && !editBody) throw new ApiError(409, "link_in_body", "the link is written in the body");
    },
    note: async () => ({ links: [{ id: 2, label: "pool sizing", title: "Pool sizing", author: "alice", via: "wikilink", visibility: "public" }] }),
  };
  return { client, calls };
}

/** A confirm that answers in turn and remembers what it was asked. */
function answering(...answers: boolean[]) {
  const asked: string[] = [];
  return { asked, confirm: (q: string) => (asked.push(q), answers.shift() ?? false) };
}

describe("removing a link from the graph", () => {
  it("removes a link made by hand after one question", async () => {
    const { client, calls } = fakeApi(false);
    const { confirm, asked } = answering(true);
    expect(await removeNoteLink(from, to, confirm, client)).toEqual({ removed: true, message: "Link removed." });
    expect(asked).toEqual(["Remove the link from “Checkout outage” to “Pool sizing”?"]);
    expect(calls).toEqual(["DELETE 1>2"]);
  });

  it("asks before unbracketing a link written in the body", async () => {
    const { client, calls } = fakeApi(true);
    const { confirm, asked } = answering(true, true);
    expect((await removeNoteLink(from, to, confirm, client))?.removed).toBe(true);
    expect(asked[1]).toBe("This link is written as [[pool sizing]] in the body of 'Checkout outage'. Remove the brackets from the body?");
    expect(calls).toEqual(["DELETE 1>2", "DELETE 1>2 edit_body"]);
  });

  it("leaves a body link as it is when the user says no", async () => {
    const { client, calls } = fakeApi(true);
    const { confirm } = answering(true, false);
    expect(await removeNoteLink(from, to, confirm, client)).toEqual({ removed: false, message: "The link stays: [[pool sizing]] is still written in the body of 'Checkout outage'." });
    expect(calls).toEqual(["DELETE 1>2"]);
  });

  it("does nothing when the first question is declined", async () => {
    const { client, calls } = fakeApi(false);
    expect(await removeNoteLink(from, to, answering(false).confirm, client)).toBeNull();
    expect(calls).toEqual([]);
  });
});
