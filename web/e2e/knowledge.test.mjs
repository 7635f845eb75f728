// The knowledge base, end to end: GitHub Markdown and task lists, inline #tags, [[wikilinks]]
// to notes not yet written, [[ completion, unlinking a body link from the graph, the local graph;
// resolving an error with a note and meeting it again when the error regresses, @mentions and
// notifications, and a vault exported by one user and imported by another.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { checkoutTrace, sendTrace, shots, startBrowser, startOmegi } from "./harness.mjs";

let omegi, browser, page;
// Every dialog's message, and the answers to give (accept when none is queued).
const dialogs = [];
const replies = [];

before(async () => {
  omegi = await startOmegi();
  browser = await startBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(10000);
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    if (replies.shift() ?? true) d.accept();
    else d.dismiss();
  });
});

after(async () => {
  await browser?.close();
  omegi?.stop();
});

const url = (path) => `${omegi.base}${path}`;

/** Creates a general note of the signed-in user through the API; its id. */
async function createNote(note) {
  const res = await page.request.post(url("/api/notes"), { data: { kind: "general", ...note } });
  assert.equal(res.status(), 201, await res.text());
  return (await res.json()).id;
}

/** The note as the API gives it to the signed-in user. */
async function getNote(id) {
  const res = await page.request.get(url(`/api/notes/${id}`));
  assert.equal(res.status(), 200, await res.text());
  return res.json();
}

/** Waits until `check()` holds, polling the server. */
async function until(what, check) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting until ${what}`);
}

const idFromUrl = () => Number(new URL(page.url()).pathname.split("/").pop());

test("sign up", async () => {
  await page.goto(url("/"));
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByLabel("Username").fill("kate");
  await page.getByLabel("Password").fill("kate-password");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Welcome to Omegi").waitFor();
});

test("a note with a table and a task list: ticking a box edits the body, only for its author", async () => {
  const body = [
    "| Service | Limit |",
    "|---------|------:|",
    "| api     |    20 |",
    "",
    "```",
    "- [ ] looks like a task, but is code",
    "```",
    "",
    "- [ ] raise the limit",
    "- [ ] restart the api",
  ].join("\n");
  const id = await createNote({ title: "Capacity checklist", body, visibility: "public" });
  await page.goto(url(`/notes/${id}`));
  const note = page.getByTestId("note-body");
  await note.locator("table").waitFor();
  assert.equal(await note.locator("th").first().textContent(), "Service");
  assert.equal(await note.locator("td").nth(1).textContent(), "20");
  const boxes = note.getByRole("checkbox");
  assert.equal(await boxes.count(), 2, "the task in the code block is code, not a box");
  await boxes.nth(1).check();
  await until("the second task is ticked on the server", async () => (await getNote(id)).body.includes("- [x] restart the api"));
  const saved = (await getNote(id)).body;
  assert.equal(saved, body.replace("- [ ] restart the api", "- [x] restart the api"), "only that task changed");
  // The boxes come back once the save is done; unticking writes `[ ]` again.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="note-body"] input[type="checkbox"]')].every((b) => !b.disabled));
  await shots(page, "note-tasks");
  await boxes.nth(1).uncheck();
  await until("the task is unticked on the server", async () => (await getNote(id)).body === body);

  // Someone else sees the boxes but cannot tick them.
  const other = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  try {
    const p = await other.newPage();
    p.setDefaultTimeout(10000);
    const res = await p.request.post(url("/api/auth/signup"), { data: { username: "leo", password: "leo-password" } });
    assert.equal(res.status(), 201, await res.text());
    await p.goto(url(`/notes/${id}`));
    const theirs = p.getByTestId("note-body").getByRole("checkbox");
    await theirs.first().waitFor();
    assert.equal(await theirs.count(), 2);
    assert.equal(await theirs.nth(0).isDisabled(), true);
    assert.equal(await theirs.nth(1).isDisabled(), true);
  } finally {
    await other.close();
  }
});

test("an inline #tag becomes a tag of the note and links to its notes", async () => {
  await page.goto(url("/notes/new"));
  await page.getByLabel("Title").fill("Retry budget");
  await page.getByLabel("Tags").fill("ops");
  await page.getByText("#tags written in the text are added automatically.").waitFor();
  await page.getByLabel("Body").fill("Retries are capped per client. #resilience\n\n`#notatag` in code");
  await page.getByTestId("save-note").click();
  await page.getByTestId("note-title").filter({ hasText: "Retry budget" }).waitFor();
  const id = idFromUrl();
  const saved = await getNote(id);
  assert.deepEqual([...saved.tags].sort(), ["ops", "resilience"]);
  assert.deepEqual(saved.inline_tags, ["resilience"]);

  // The editor shows only the tags not written in the text, so none is edited twice.
  await page.goto(url(`/notes/${id}/edit`));
  await page.waitForFunction(() => document.querySelector('textarea[aria-label="Body"]')?.value.includes("#resilience"));
  assert.equal(await page.getByLabel("Tags").inputValue(), "ops");

  await page.goto(url(`/notes/${id}`));
  const tag = page.getByTestId("note-body").getByRole("link", { name: "#resilience" });
  assert.equal(await tag.getAttribute("href"), "/notes?tag=resilience");
  assert.equal(await page.getByTestId("note-body").getByRole("link", { name: "#notatag" }).count(), 0);
  await tag.click();
  await page.waitForURL(/\/notes\?tag=resilience$/);
  await page.getByTestId("note-card").filter({ hasText: "Retry budget" }).waitFor();
});

test("following a [[Missing note]] link writes that note, and the link then opens it", async () => {
  const id = await createNote({ title: "Outage review", body: "Root cause: [[Connection storm]]." });
  await page.goto(url(`/notes/${id}`));
  const missing = page.getByTestId("note-body").getByRole("link", { name: "Connection storm" });
  assert.equal(await missing.getAttribute("href"), "/notes/new?title=Connection%20storm");
  assert.match(await missing.getAttribute("class"), /\bmissing\b/);
  await page.getByTestId("missing-links").getByText("[[Connection storm]]").waitFor();
  await shots(page, "note-missing-link");
  await missing.click();
  await page.waitForURL(/\/notes\/new\?title=Connection%20storm$/);
  await page.waitForFunction(() => document.querySelector('input[aria-label="Title"]')?.value === "Connection storm");
  await page.getByLabel("Body").fill("Every client reconnected at once.");
  await page.getByTestId("save-note").click();
  await page.getByTestId("note-title").filter({ hasText: "Connection storm" }).waitFor();
  const written = idFromUrl();

  assert.deepEqual((await getNote(id)).wikilinks, [{ label: "Connection storm", id: written }]);
  await page.goto(url(`/notes/${id}`));
  const link = page.getByTestId("note-body").getByRole("link", { name: "Connection storm" });
  assert.equal(await link.getAttribute("href"), `/notes/${written}`);
  assert.doesNotMatch(await link.getAttribute("class"), /\bmissing\b/);
  assert.equal(await page.getByTestId("missing-links").count(), 0, "nothing is said to be missing");
  await link.click();
  await page.getByTestId("note-title").filter({ hasText: "Connection storm" }).waitFor();
});

test("[[ completion from the keyboard", async () => {
  const pool = await createNote({ title: "Pool sizing", body: "Twenty connections per instance." });
  await page.goto(url("/notes/new"));
  await page.getByLabel("Title").fill("Checkout latency");
  const body = page.getByLabel("Body");
  await body.click();
  await body.pressSequentially("Caused by [[Poo");
  const list = page.getByRole("listbox", { name: "Notes to link" });
  await list.waitFor();
  // The list answers what was typed: wait for that answer, not the recent notes shown at `[[`.
  await page.waitForFunction(() => document.querySelector('[data-testid="wikilink-suggest"] [role="option"]')?.textContent.startsWith("Pool sizing"));
  assert.equal(await body.getAttribute("aria-controls"), await list.getAttribute("id"));
  await shots(page, "note-completion");
  await body.press("ArrowDown");
  const active = await body.getAttribute("aria-activedescendant");
  assert.match(await page.locator(`[id="${active}"]`).textContent(), /^Pool sizing/);
  assert.equal(await page.locator(`[id="${active}"]`).getAttribute("aria-selected"), "true");
  await body.press("Enter");
  assert.equal(await body.inputValue(), "Caused by [[Pool sizing]]");
  await list.waitFor({ state: "detached" });
  // The caret is after the link, and Enter is a new line again now the list is closed.
  await body.pressSequentially(" at peak.");
  await body.press("Enter");
  assert.equal(await body.inputValue(), "Caused by [[Pool sizing]] at peak.\n");
  // Escape closes the list and leaves the text as typed.
  await body.pressSequentially("Also [[Poo");
  await list.waitFor();
  await body.press("Escape");
  await list.waitFor({ state: "detached" });
  assert.equal(await body.inputValue(), "Caused by [[Pool sizing]] at peak.\nAlso [[Poo");
  for (let i = 0; i < "[[Poo".length; i++) await body.press("Backspace");
  await body.pressSequentially("see above.");
  // The preview already knows where the link goes.
  await page.locator(`.preview a.wikilink[href="/notes/${pool}"]`).waitFor();
  await page.getByTestId("save-note").click();
  await page.getByTestId("note-title").filter({ hasText: "Checkout latency" }).waitFor();
  const saved = await getNote(idFromUrl());
  assert.equal(saved.body, "Caused by [[Pool sizing]] at peak.\nAlso see above.");
  assert.ok(saved.links.some((l) => l.id === pool), "the completed link links the notes");
});

test("unlinking a body link in the graph asks first, then takes the brackets out of the body", async () => {
  const target = await createNote({ title: "Retry storm", body: "Clients retried in lockstep." });
  const source = await createNote({ title: "Incident 42", body: "See [[Retry storm]] for details." });
  assert.ok((await getNote(source)).links.some((l) => l.id === target && l.via === "wikilink"));
  await page.goto(url("/notes/graph"));
  const edge = page.getByTestId(`graph-edge-note:${source}-note:${target}`);
  await edge.waitFor();
  const asked = [
    "Remove the link from “Incident 42” to “Retry storm”?",
    "This link is written as [[Retry storm]] in the body of 'Incident 42'. Remove the brackets from the body?",
  ];

  // Declined: nothing changes, and the page says the link stays.
  dialogs.length = 0;
  replies.push(true, false);
  await edge.focus();
  await edge.press("Enter");
  await page.getByRole("status").filter({ hasText: "The link stays" }).waitFor();
  assert.deepEqual(dialogs, asked);
  assert.equal((await getNote(source)).body, "See [[Retry storm]] for details.");

  // Confirmed: the body keeps the words without the brackets, and the link is gone.
  dialogs.length = 0;
  await edge.focus();
  await edge.press("Enter");
  await page.getByRole("status").filter({ hasText: "Link removed" }).waitFor();
  assert.deepEqual(dialogs, asked);
  const after = await getNote(source);
  assert.equal(after.body, "See Retry storm for details.");
  assert.equal(after.links.some((l) => l.id === target), false);
  await edge.waitFor({ state: "detached" });
  await shots(page, "graph-unlinked");
});

test("a note's local graph shows its neighbours and theirs, and opens them", async () => {
  const far = await createNote({ title: "Kernel tuning", body: "Raise somaxconn." });
  const near = await createNote({ title: "Socket backlog", body: "A full backlog drops connections; see [[Kernel tuning]]." });
  const home = await createNote({ title: "Dropped connections", body: "Caused by the [[Socket backlog]].", tags: ["network"] });
  await page.goto(url(`/notes/${home}`));
  const local = page.getByTestId("local-graph");
  for (const id of [home, near, far]) await local.getByTestId(`graph-node-note:${id}`).waitFor();
  await local.getByTestId("graph-node-tag:network").waitFor();
  assert.match(await local.getByTestId(`graph-node-note:${home}`).getAttribute("class"), /\bcurrent\b/);
  assert.match(await local.getByTestId(`graph-node-note:${far}`).getAttribute("aria-label"), /Kernel tuning/);
  await page.waitForTimeout(1500);
  await shots(page, "note-local-graph");

  await local.getByRole("button", { name: "Depth 1" }).click();
  await local.getByTestId(`graph-node-note:${far}`).waitFor({ state: "detached" });
  await local.getByTestId(`graph-node-note:${near}`).waitFor();

  // A node opens from the keyboard.
  await local.getByTestId(`graph-node-note:${near}`).focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("note-title").filter({ hasText: "Socket backlog" }).waitFor();
  assert.equal(idFromUrl(), near);
});

/** A new project with a service and an ingest token, made through the API; the project's id
 * and the token's secret. */
async function ingestToken(name) {
  const project = await page.request.post(url("/api/projects"), { data: { name } });
  assert.equal(project.status(), 201, await project.text());
  const p = (await project.json()).id;
  const service = await page.request.post(url(`/api/projects/${p}/services`), { data: { name: "gateway", kind: "python" } });
  assert.equal(service.status(), 201, await service.text());
  const token = await page.request.post(url(`/api/projects/${p}/services/${(await service.json()).id}/tokens`), { data: {} });
  assert.equal(token.status(), 201, await token.text());
  return { project: p, token: (await token.json()).secret };
}

/** A browser context of a new user, signed up through the API, and a page of it. */
async function newUser(username) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const p = await context.newPage();
  p.setDefaultTimeout(10000);
  const res = await p.request.post(url("/api/auth/signup"), { data: { username, password: `${username}-password` } });
  assert.equal(res.status(), 201, await res.text());
  return { context, page: p };
}

/** How many files a zip holds, from its end-of-central-directory record. */
function zipEntries(zip) {
  for (let i = zip.length - 22; i >= 0; i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) return zip.readUInt16LE(i + 10);
  }
  assert.fail("not a zip");
}

test("resolving from the error page with cause, fix and release pins the note; a regression says it was fixed before", async () => {
  const { project, token } = await ingestToken("kb");
  await sendTrace(omegi.base, token, checkoutTrace(1));
  let error;
  await until("the error is grouped", async () => {
    const page1 = await (await page.request.get(url("/api/errors?q=OutOfStock"))).json();
    error = page1.errors.find((e) => e.exception_type === "OutOfStock");
    return !!error;
  });
  await page.goto(url(`/errors/${error.id}`));
  await page.getByTestId("toggle-status").click();
  const dialog = page.getByTestId("resolve-dialog");
  await dialog.waitFor();
  await dialog.getByLabel("Cause", { exact: true }).fill("The stock cache kept a sold-out count after a restock.");
  await dialog.getByLabel("Fix", { exact: true }).fill("Invalidate the cache on restock.");
  await dialog.getByLabel("Release", { exact: true }).fill("2.3.1");

  // A link that is not http(s) is refused, and the refusal is shown under its field.
  await dialog.getByLabel("Commit or PR link", { exact: true }).fill("ftp://git.example/shop/pull/7");
  await dialog.getByTestId("resolve-submit").click();
  const refused = dialog.getByTestId("field-error-fix_link");
  await refused.waitFor();
  assert.match(await refused.textContent(), /^Commit or PR link: must be an http\(s\) URL/);
  assert.equal(await dialog.getByLabel("Commit or PR link", { exact: true }).getAttribute("aria-invalid"), "true");
  assert.equal((await (await page.request.get(url(`/api/errors/${error.id}`))).json()).status, "unresolved", "nothing was resolved");
  await shots(page, "error-resolve-dialog");

  await dialog.getByLabel("Commit or PR link", { exact: true }).fill("https://git.example/shop/pull/7");
  await dialog.getByTestId("resolve-submit").click();
  await dialog.waitFor({ state: "detached" });
  await page.waitForFunction(() => document.querySelector('[data-testid="error-status"]')?.textContent === "resolved");

  // The resolution note, pinned at the top: its title, who, the release, and the note itself.
  const card = page.getByTestId("resolution-card");
  const title = card.getByRole("link", { name: "Resolved: OutOfStock in inventory" });
  await title.waitFor();
  const noteId = Number((await title.getAttribute("href")).split("/").pop());
  assert.match(await card.getByTestId("resolution-meta").textContent(), /^Resolved by kate · \d+s ago · release 2\.3\.1$/);
  await card.getByRole("heading", { name: "Cause", exact: true }).waitFor();
  await card.getByText("Invalidate the cache on restock.").waitFor();
  assert.equal(await card.getByRole("link", { name: "https://git.example/shop/pull/7" }).getAttribute("href"), "https://git.example/shop/pull/7");
  const note = await getNote(noteId);
  assert.equal(note.error_id, error.id);
  assert.ok(note.tags.includes("resolution"), `tags: ${note.tags}`);
  await page.getByTestId("error-notes").getByRole("link", { name: "Resolved: OutOfStock in inventory" }).waitFor();
  assert.equal(await page.getByTestId("fixed-before").count(), 0, "not regressed yet");
  await shots(page, "error-resolution");

  // The same failure again: the toast and the page say who fixed it before, and in which release.
  await sendTrace(omegi.base, token, checkoutTrace(2));
  const toast = page.getByTestId("toast").filter({ hasText: "Regression" });
  await toast.waitFor({ timeout: 15000 });
  assert.match(await toast.textContent(), /OutOfStock[\s\S]*fixed before by kate in release 2\.3\.1/);
  const banner = page.getByTestId("fixed-before");
  await banner.waitFor({ timeout: 15000 });
  assert.match(await banner.textContent(), /^Fixed before by kate \d+[sm] ago in release 2\.3\.1 — Resolved: OutOfStock in inventory$/);
  assert.equal(await banner.getByRole("link").getAttribute("href"), `/notes/${noteId}`);
  assert.equal(await page.getByTestId("error-status").textContent(), "unresolved");
  await card.getByRole("heading", { name: /^Last resolution/ }).waitFor();
  await shots(page, "error-fixed-before");

  // Red again on the map, with its note one click away.
  await page.goto(url(`/?project=${project}`));
  const notes = page.getByTestId("map-node-notes-inventory");
  await notes.waitFor();
  assert.match(await notes.textContent(), /1 note$/);
  await notes.click();
  await page.getByTestId("note-title").filter({ hasText: "Resolved: OutOfStock in inventory" }).waitFor();
  assert.equal(idFromUrl(), noteId);
});

test("an @mention in a comment notifies that user: a count in the nav, the note one click away", async () => {
  const id = await createNote({ title: "Cache stampede", body: "Every pod refilled the cache at once.", visibility: "public" });
  const maya = await newUser("maya");
  try {
    await page.goto(url(`/notes/${id}`));
    assert.match(await page.getByTestId("mention-hint").textContent(), /@username/);
    await page.getByLabel("Comment", { exact: true }).fill("@maya can you check the TTLs?");
    await page.getByRole("button", { name: "Comment", exact: true }).click();
    await page.locator(".comment").filter({ hasText: "can you check the TTLs?" }).waitFor();

    const p = maya.page;
    await p.goto(url("/"));
    const count = p.getByTestId("notifications-count");
    await count.waitFor();
    assert.equal(await count.textContent(), "1");
    await p.getByTestId("nav-notifications").click();
    await p.waitForURL(/\/notifications$/);
    const item = p.getByTestId("notification");
    await item.first().waitFor();
    assert.equal(await item.count(), 1);
    assert.match(await item.textContent(), /^kate mentioned you in Cache stampede \d+[sm] ago/);
    assert.match(await item.textContent(), /can you check the TTLs\?/);
    assert.equal(await item.getAttribute("data-read"), "false");
    const link = item.getByRole("link", { name: "Cache stampede" });
    assert.equal(await link.getAttribute("href"), `/notes/${id}`);
    await shots(p, "notifications");

    // Opening the note reads the notification.
    await link.click();
    await p.getByTestId("note-title").filter({ hasText: "Cache stampede" }).waitFor();
    await p.waitForFunction(() => !document.querySelector('[data-testid="notifications-count"]'));
    assert.equal((await (await p.request.get(url("/api/notifications?unread=true"))).json()).unread, 0);

    // Another mention; "Mark all read" reads it from the list.
    await page.getByLabel("Comment", { exact: true }).fill("Thanks @maya, and see the retry budget.");
    await page.getByRole("button", { name: "Comment", exact: true }).click();
    await page.locator(".comment").filter({ hasText: "see the retry budget" }).waitFor();
    await p.goto(url("/notifications"));
    await count.waitFor();
    assert.equal(await count.textContent(), "1");
    await p.locator('[data-testid="notification"][data-read="false"]').filter({ hasText: "see the retry budget" }).waitFor();
    assert.equal(await item.count(), 2);
    await p.getByTestId("mark-all-read").click();
    await count.waitFor({ state: "detached" });
    await p.waitForFunction(() => document.querySelectorAll('[data-testid="notification"][data-read="false"]').length === 0);
    assert.equal(await p.getByTestId("mark-all-read").isDisabled(), true);
  } finally {
    await maya.context.close();
  }
});

test("my notes exported as an Obsidian vault import as someone else's", async () => {
  await page.goto(url("/notes"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-notes").click()]);
  assert.equal(download.suggestedFilename(), "omegi-kate-notes.zip");
  const zip = readFileSync(await download.path());
  const files = zipEntries(zip);
  assert.ok(files >= 10, `${files} notes exported`);

  const olga = await newUser("olga");
  try {
    const p = olga.page;
    await p.goto(url("/notes"));
    await p.getByTestId("import-files").setInputFiles({ name: "omegi-kate-notes.zip", mimeType: "application/zip", buffer: zip });
    const report = p.getByTestId("import-report");
    await report.waitFor();
    assert.equal(Number(await report.getByTestId("import-created").textContent()), files);
    assert.equal(await report.getByTestId("import-updated").textContent(), "0");
    assert.equal(await report.getByTestId("import-unchanged").textContent(), "0");
    // The resolution note is on kate's error, which olga cannot see: it comes as a general note.
    assert.match(await report.getByTestId("import-warnings").textContent(), /OutOfStock in inventory\.md: error \d+ is not in your projects; imported as a general note/);
    await report.getByRole("link", { name: "Cache stampede" }).waitFor();
    await shots(p, "notes-import");

    // The notes are olga's now.
    await p.goto(url("/notes?author=olga"));
    await p.waitForFunction((n) => document.querySelectorAll('[data-testid="note-card"]').length === n, files);
    await p.getByTestId("note-card").filter({ hasText: "Capacity checklist" }).filter({ hasText: "olga" }).waitFor();
  } finally {
    await olga.context.close();
  }
});
