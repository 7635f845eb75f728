// The web UI, end to end, as a user goes through it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { checkoutTrace, sendTrace, shots, startBrowser, startOmegi } from "./harness.mjs";

let omegi, browser, page, token;
const dialogs = [];

before(async () => {
  omegi = await startOmegi();
  browser = await startBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(10000);
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.accept();
  });
});

after(async () => {
  await browser?.close();
  omegi?.stop();
});

const url = (path) => `${omegi.base}${path}`;

test("sign up, then create a project, a service and an ingest token", async () => {
  await page.goto(url("/"));
  await page.getByText("Error tracking for distributed systems").waitFor();
  await shots(page, "landing");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill("alice-password");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Welcome to Omegi").waitFor();

  await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Project name").fill("shop");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByLabel("Service name").fill("gateway");
  await page.getByLabel("Service kind").selectOption("python");
  await page.getByRole("button", { name: "Add service" }).click();
  await page.getByTestId("create-token").click();
  token = (await page.getByTestId("token-secret").locator("code").textContent()).trim();
  assert.match(token, /^omg_[A-Za-z0-9]{43}$/);
  await page.getByRole("button", { name: "setup guide" }).click();
  await page.getByTestId("setup-guide").getByText(`OMEGI_TOKEN=${token}`).waitFor();
  // The guide names this server and its extras, and Copy copies exactly what it shows.
  const guide = page.getByTestId("setup-guide");
  const python = guide.getByTestId("guide-python");
  assert.match(await python.textContent(), new RegExp(`OMEGI_ENDPOINT=${omegi.base}\n`));
  assert.match(await python.textContent(), /^pip install "\.\/agents\/python\[flask,requests\]"/);
  await guide.getByTestId("extras").getByLabel("django").check();
  assert.match(await python.textContent(), /^pip install "\.\/agents\/python\[flask,django,requests\]"/);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: omegi.base });
  await guide.getByTestId("copy-python").click();
  await guide.getByTestId("copy-python").filter({ hasText: "Copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await python.textContent());
  await guide.getByRole("button", { name: "OpenTelemetry SDK" }).click();
  const grpcPort = (await guide.getByTestId("guide-otel").textContent()).match(/ENDPOINT=http:\/\/127\.0\.0\.1:(\d+)\n/)[1];
  assert.notEqual(grpcPort, "0");
  assert.match(await guide.getByTestId("guide-otel").textContent(), new RegExp(`ENDPOINT=${omegi.base}/v1/traces`));
  await page.getByRole("button", { name: "Java agent" }).click();
  const java = await page.getByTestId("guide-java").textContent();
  assert.match(java, /java -javaagent:omegi-agent\.jar -jar app\.jar/);
  assert.match(java, new RegExp(`OMEGI_TOKEN=${token}`));
  assert.match(java, /JAVA_TOOL_OPTIONS="-javaagent:/);
  await page.getByRole("button", { name: "Python agent" }).click();
  const retention = await page.getByTestId("retention").textContent();
  assert.match(retention, /30 days/);
  assert.match(retention, /24 hours/);
  assert.match(await page.getByTestId("database-size").textContent(), /SQLite · \d+/);
  await shots(page, "settings");
});

test("a new error arrives live: toast, red service on the map, in the list", async () => {
  await page.getByTestId("nav-dashboard").click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  await sendTrace(omegi.base, token, checkoutTrace(1));
  const toast = page.getByTestId("toast");
  await toast.waitFor({ timeout: 15000 });
  assert.match(await toast.textContent(), /OutOfStock/);
  const inventory = page.getByTestId("map-node-inventory");
  await inventory.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="map-node-inventory"]')?.getAttribute("data-unresolved") === "true");
  assert.equal(await page.getByTestId("map-node-gateway").getAttribute("data-unresolved"), "false");
  await page.getByTestId("error-row").first().waitFor();
  await shots(page, "dashboard");

  await page.getByRole("navigation").getByRole("link", { name: "Errors", exact: true }).click();
  await page.getByTestId("error-row").filter({ hasText: "OutOfStock" }).waitFor();
  await shots(page, "errors");
});

test("live: counts update without a reload, new errors wait behind a banner", async () => {
  const row = page.getByTestId("error-row").filter({ hasText: "OutOfStock" });
  assert.equal(await row.getByTestId("row-count").textContent(), "1");
  await sendTrace(omegi.base, token, checkoutTrace(10));
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="error-row"]')].some((r) => r.textContent.includes("OutOfStock") && r.querySelector('[data-testid="row-count"]').textContent === "2"), null, { timeout: 15000 });

  await sendTrace(omegi.base, token, checkoutTrace(11, { type: "DeadlineExceeded", message: "stock service took 5s" }));
  const banner = page.getByTestId("new-errors-banner");
  await banner.waitFor({ timeout: 15000 });
  assert.equal(await banner.textContent(), "1 new error — show");
  assert.equal(await page.getByTestId("error-row").filter({ hasText: "DeadlineExceeded" }).count(), 0, "the rows did not move");
  await page.getByTestId("toast").first().waitFor();
  const covered = await page.evaluate(() => {
    const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const toasts = [...document.querySelectorAll('[data-testid="toast"]')].map((t) => t.getBoundingClientRect());
    return [...document.querySelectorAll(".row-actions button")].filter((b) => toasts.some((t) => hit(t, b.getBoundingClientRect()))).length;
  });
  assert.equal(covered, 0, "a toast covers a row's buttons");
  await shots(page, "errors-live");
  await banner.click();
  await page.getByTestId("error-row").filter({ hasText: "DeadlineExceeded" }).waitFor();
  assert.equal(await banner.count(), 0);

  // The error page and the dashboard follow too.
  await page.getByRole("link", { name: "DeadlineExceeded", exact: true }).click();
  await page.getByText("1 occurrences").waitFor();
  await sendTrace(omegi.base, token, checkoutTrace(12, { type: "DeadlineExceeded", message: "stock service took 5s" }));
  await page.getByText("2 occurrences").waitFor({ timeout: 15000 });
  await page.getByTestId("nav-dashboard").click();
  const requests = async () => (await page.getByTestId("map-node-gateway").textContent()).match(/(\d+) req/)[1];
  await page.getByTestId("map-node-gateway").waitFor();
  const before = Number(await requests());
  await sendTrace(omegi.base, token, checkoutTrace(13));
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="map-node-gateway"]').textContent.match(/(\d+) req/)[1]) > n, before, { timeout: 15000 });
  const deadline = (await (await page.request.get(url("/api/errors?q=DeadlineExceeded"))).json()).errors[0];
  assert.equal((await page.request.patch(url(`/api/errors/${deadline.id}`), { data: { status: "resolved" } })).status(), 200);
  await page.getByRole("navigation").getByRole("link", { name: "Errors", exact: true }).click();
});

test("the red dot tells of an error that came while on another page", async () => {
  assert.equal(await page.getByTestId("red-dot").count(), 0);
  await sendTrace(omegi.base, token, checkoutTrace(2, { type: "KeyError", message: "'sku-7'" }));
  await page.getByTestId("red-dot").waitFor({ timeout: 15000 });
  await page.getByTestId("nav-dashboard").click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="red-dot"]'));
});

test("error detail shows the waterfall, summary and log; resolving turns the service blue", async () => {
  await page.goto(url("/errors?q=OutOfStock"));
  await page.getByRole("link", { name: "OutOfStock" }).click();
  await page.getByTestId("waterfall").waitFor();
  assert.equal(await page.getByTestId("span-row").count(), 6);
  assert.match(await page.getByTestId("summary").textContent(), /sku 42 is sold out/);
  assert.match(await page.getByTestId("log").textContent(), /Traceback[\s\S]*in reserve/);
  await page.getByTestId("span-row").last().click();
  await page.getByText("STATUS_CODE_ERROR").count();
  // The Log: the application's frame first, the library's folded; the frame's span one click away.
  const stack = page.getByTestId("stack");
  assert.match(await stack.getByTestId("exception-line").textContent(), /OutOfStock: sku 42 is sold out/);
  assert.match(await stack.locator(".frame").first().textContent(), /reserve[\s\S]*\/app\/stock\.py:42/);
  assert.equal(await stack.getByTestId("library-frame").count(), 0);
  await stack.getByTestId("library-toggle").click();
  assert.equal(await stack.getByTestId("library-frame").count(), 1);
  assert.equal(await stack.locator(".frame").first().getAttribute("data-testid"), "app-frame", "the app frame stays first");
  await stack.getByTestId("frame-span").click();
  await page.locator(".span-row.focused").filter({ hasText: "inventory.reserve" }).waitFor();
  await stack.getByTestId("raw-toggle").click();
  assert.match(await page.locator("pre.log").textContent(), /site-packages\/flask/);
  await stack.getByTestId("raw-toggle").click();
  assert.match(await page.getByTestId("operation").textContent(), /^inventory\.reserve/);
  assert.equal(await page.getByTestId("occurrence-row").count(), 3);
  assert.match(await page.getByTestId("facet-environment").textContent(), /not sent\s*3/);
  await shots(page, "error-detail");

  // Resolve offers to say how; resolving without notes is one more click.
  await page.getByTestId("toggle-status").click();
  await page.getByTestId("resolve-dialog").getByTestId("resolve-plain").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="error-status"]')?.textContent === "resolved");
  await page.goto(url("/?q=1"));
  await page.getByTestId("map-node-inventory").waitFor();
  // KeyError (also in inventory) is still open: resolve it from the dashboard list too.
  const keyError = page.getByTestId("error-row").filter({ hasText: "KeyError" });
  await keyError.getByTestId("resolve").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="map-node-inventory"]')?.getAttribute("data-unresolved") === "false");
});

test("the service map is clickable: a service opens its errors, a call its traces, a trace its waterfall", async () => {
  await sendTrace(omegi.base, token, checkoutTrace(14, { type: "ShelfEmpty", message: "shelf 3 is empty" }));
  await page.goto(url("/"));
  await page.waitForFunction(() => document.querySelector('[data-testid="map-node-inventory"]')?.getAttribute("data-unresolved") === "true", null, { timeout: 15000 });
  assert.equal(await page.getByTestId("map-edge-orders-inventory").getAttribute("data-culprit"), "true");
  assert.equal(await page.getByTestId("map-edge-gateway-orders").getAttribute("data-culprit"), "false");
  await page.getByTestId("map-node-inventory").click();
  await page.waitForURL(/\/errors\?project=\d+&service=inventory/);
  await page.getByTestId("error-row").filter({ hasText: "ShelfEmpty" }).waitFor();
  assert.equal(await page.getByTestId("error-row").filter({ hasNotText: "inventory" }).count(), 0);

  await page.goto(url("/"));
  await page.getByTestId("map-edge-label-orders-inventory").click();
  await page.waitForURL(/\/traces\?project=\d+&caller=orders&callee=inventory&failing=true/);
  await page.getByRole("heading", { name: "Calls from orders to inventory that failed" }).waitFor();
  const rows = page.getByTestId("trace-row");
  await rows.first().waitFor();
  await shots(page, "traces");
  await rows.first().getByRole("link").click();
  await page.getByTestId("waterfall").waitFor();
  assert.equal(await page.getByTestId("span-row").count(), 6);

  // A trace id typed into the errors search finds that trace's errors.
  const traceId = await page.getByTestId("trace-id").textContent();
  await page.goto(url("/errors"));
  await page.getByLabel("Search").fill(traceId);
  await page.getByTestId("trace-hint").waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="error-row"]').length === 1);
});

test("unknown and malformed ids show a not-found page", async () => {
  for (const path of ["/errors/abc", "/errors/987654", "/notes/-1", "/traces/xyz", "/traces/0123456789abcdef0123456789abcdef", "/nowhere"]) {
    await page.goto(url(path));
    await page.getByTestId("not-found").waitFor();
    assert.doesNotMatch(await page.getByTestId("not-found").textContent(), /invalid|parse|digit/i, path);
  }
});

test("every page works on a 390 px phone: folded nav, stacked rows, no sideways scrolling", async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await page.context().storageState() });
  const p = await phone.newPage();
  p.setDefaultTimeout(10000);
  try {
    const errorId = (await (await p.request.get(url("/api/errors?q=OutOfStock"))).json()).errors[0].id;
    const traceId = (await (await p.request.get(url(`/api/errors/${errorId}`))).json()).latest.trace_id;
    const pages = [["/", "map-node-inventory"], ["/errors", "error-row"], [`/errors/${errorId}`, "stack"], ["/traces", "trace-row"], [`/traces/${traceId}`, "waterfall"], ["/notes", null], ["/notes/graph", null], ["/notifications", null], ["/settings", "setup-guide-toggle"]];
    for (const [path, ready] of pages) {
      await p.goto(url(path));
      if (ready === "setup-guide-toggle") await p.getByRole("heading", { name: "Settings" }).waitFor();
      else if (ready) await p.getByTestId(ready).first().waitFor();
      else await p.waitForTimeout(500);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px`);
    }
    await p.goto(url(`/errors/${errorId}`));
    await p.getByTestId("stack").waitFor();
    await shots(p, "phone-error");
    await p.goto(url("/errors"));
    await p.getByTestId("error-row").first().waitFor();
    assert.equal(await p.getByRole("navigation").getByRole("link", { name: "Settings" }).isVisible(), false, "the nav is folded");
    assert.equal(await p.locator("table.errors thead").isVisible(), false, "rows are stacked");
    await shots(p, "phone-errors");
    await p.getByTestId("menu-toggle").click();
    await p.getByRole("navigation").getByRole("link", { name: "Settings" }).waitFor();
    await p.goto(url("/"));
    await p.getByTestId("map-node-inventory").waitFor();
    await shots(p, "phone-dashboard");
  } finally {
    await phone.close();
  }
});

test("a Sentry DSN from Settings; what the Sentry SDK reported shows on the error page", async () => {
  await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
  const gateway = page.getByTestId("service-gateway");
  await gateway.getByTestId("create-dsn").click();
  const dsn = (await gateway.getByTestId("sentry-dsns").locator("code.dsn").first().textContent()).trim();
  const m = dsn.match(/^http:\/\/([0-9a-f]{32})@[^/]+\/(\d+)$/);
  assert.ok(m, dsn);
  await gateway.getByRole("button", { name: "setup guide" }).click();
  await gateway.getByRole("button", { name: "Sentry Python" }).click();
  assert.match(await gateway.getByTestId("guide-sentry-python").textContent(), new RegExp(`dsn="${dsn}"`));

  const event = {
    event_id: "5e11a0be5e11a0be5e11a0be5e11a0be", platform: "python", level: "error", timestamp: Date.now() / 1000,
    exception: { values: [{ type: "CardDeclined", value: "card 4242 declined", module: "shop.pay",
      stacktrace: { frames: [
        { function: "wsgi_app", module: "flask.app", abs_path: "/venv/flask/app.py", lineno: 1511, in_app: false },
        { function: "charge", module: "shop.pay", abs_path: "/app/shop/pay.py", lineno: 42, in_app: true, context_line: "    raise CardDeclined(card)" },
      ] } }] },
    breadcrumbs: { values: [{ timestamp: Date.now() / 1000 - 1, category: "payment", level: "info", message: "calling the card gateway" }] },
    request: { method: "POST", url: "https://shop.example.com/pay", headers: { "User-Agent": "e2e" } },
    tags: { region: "eu-west" },
  };
  const body = `{}\n{"type":"event"}\n${JSON.stringify(event)}\n`;
  const res = await fetch(`${omegi.base}/api/${m[2]}/envelope/?sentry_key=${m[1]}`, { method: "POST", body });
  assert.equal(res.status, 200, await res.text());

  await page.goto(url("/errors?q=CardDeclined"));
  await page.getByRole("link", { name: "shop.pay.CardDeclined" }).click({ timeout: 15000 });
  const reported = page.getByTestId("reported");
  await reported.waitFor();
  assert.match(await reported.locator(".frame.in-app").textContent(), /charge[\s\S]*raise CardDeclined/);
  assert.equal(await reported.locator(".frame").count(), 1, "library frames are folded away");
  await reported.getByRole("button", { name: "show 1 library frame" }).click();
  assert.equal(await reported.locator(".frame").count(), 2);
  assert.match(await page.getByTestId("breadcrumbs").textContent(), /calling the card gateway/);
  assert.match(await page.getByTestId("request").textContent(), /POST https:\/\/shop\.example\.com\/pay/);
  assert.match(await page.getByTestId("tags").textContent(), /region=eu-west/);
  await shots(page, "sentry-error");
});

test("alerts from Settings: a signed webhook channel, a test alert, a rule, muting; the error page lists what it sent", async () => {
  const received = [];
  const sink = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(body) });
      res.end("ok");
    });
  });
  await new Promise((r) => sink.listen(0, "127.0.0.1", r));
  try {
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    const alerts = page.getByTestId("project-shop").getByTestId("alerts");
    await alerts.getByLabel("Channel name").fill("ops hook");
    await alerts.getByLabel("Channel kind").selectOption("webhook");
    await alerts.getByLabel("Channel target").fill(`http://127.0.0.1:${sink.address().port}/hook`);
    await alerts.getByRole("button", { name: "Add channel" }).click();
    assert.match(await alerts.getByTestId("channel-secret").locator("code.secret-value").textContent(), /^[A-Za-z0-9]{43}$/);
    await alerts.getByTestId("test-channel-ops hook").click();
    await alerts.getByTestId("test-result").filter({ hasText: "delivered (200)" }).waitFor();
    assert.equal(received.at(-1).body.kind, "test");
    assert.match(received.at(-1).headers["x-omegi-signature"], /^sha256=[0-9a-f]{64}$/);

    await alerts.getByTestId("new-rule").click();
    await alerts.getByLabel("Rule name").fill("new errors");
    await alerts.getByLabel("Trigger").selectOption("new");
    await alerts.getByRole("button", { name: "Save rule" }).click();
    await alerts.getByTestId("alert-rules").getByText("new errors").waitFor();
    await alerts.getByTestId("mute-new errors").click();
    await alerts.getByTestId("muted").waitFor();
    await alerts.getByRole("button", { name: "unmute" }).click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="muted"]'));
    await alerts.getByTestId("deliveries").getByText("test").waitFor();
    await shots(page, "alerts-settings");

    await sendTrace(omegi.base, token, checkoutTrace(5, { type: "LedgerMismatch", message: "totals differ by 3 cents" }));
    for (let i = 0; i < 300 && !received.some((r) => r.body.kind === "alert"); i++) await new Promise((r) => setTimeout(r, 50));
    const alert = received.find((r) => r.body.kind === "alert");
    assert.ok(alert, "the rule sent an alert");
    assert.equal(alert.body.alerts[0].error.exception_type, "LedgerMismatch");
    await page.goto(alert.body.alerts[0].error.url);
    const sent = page.getByTestId("error-alerts");
    await sent.getByText("new errors").waitFor();
    assert.match(await sent.textContent(), /sent/);
    await shots(page, "error-alerts");
  } finally {
    sink.close();
  }
});

test("an error note with a [[link]] and tags, found in the graph", async () => {
  const runbook = await page.request.post(url("/api/notes"), {
    data: { title: "Stock runbook", body: "Refill the warehouse.", kind: "general", tags: ["stock"] },
  });
  assert.equal(runbook.status(), 201);
  await page.goto(url("/errors?q=OutOfStock"));
  await page.getByRole("link", { name: "OutOfStock" }).click();
  await page.getByTestId("write-note").click();
  await page.waitForFunction(() => document.querySelector('input[aria-label="Title"]')?.value.includes("OutOfStock"));
  assert.match(await page.getByLabel("Body").inputValue(), /sku 42 is sold out/);
  await page.getByLabel("Tags").fill("inventory, Stock");
  const body = page.getByLabel("Body");
  await body.click();
  await body.press("End");
  await body.pressSequentially("\nSee [[Stock run");
  await page.getByTestId("wikilink-suggest").getByRole("option", { name: /Stock runbook/ }).click();
  assert.match(await body.inputValue(), /\[\[Stock runbook\]\]/);
  await shots(page, "note-editor");
  await page.getByTestId("save-note").click();
  await page.getByTestId("note-title").waitFor();
  await page.getByRole("link", { name: "Stock runbook" }).first().waitFor();
  // The header lists the tags (the local graph below names them too).
  await page.getByTestId("note-tags").getByRole("link", { name: "#inventory" }).waitFor();
  await shots(page, "note");
  const noteId = page.url().split("/").pop();

  await page.goto(url("/notes/graph"));
  await page.getByTestId(`graph-node-note:${noteId}`).waitFor();
  await page.getByTestId("graph-node-tag:stock").waitFor();
  await page.waitForTimeout(800);
  await shots(page, "graph");
  await page.goto(url("/notes"));
  await page.getByTestId("note-card").first().waitFor();
  await shots(page, "notes");
});

test("a hostile Markdown note runs no script", async () => {
  const hostile = [
    "# Hostile",
    '<img src="x" onerror="window.__pwned = 1">',
    "<script>window.__pwned = 2</script>",
    "[click me](javascript:window.__pwned=3)",
    "<a href=\"javascript:window.__pwned=4\">raw link</a>",
  ].join("\n\n");
  const res = await page.request.post(url("/api/notes"), { data: { title: "Hostile", body: hostile, kind: "general" } });
  const { id } = await res.json();
  await page.goto(url(`/notes/${id}`));
  await page.getByTestId("note-body").getByRole("heading", { name: "Hostile" }).waitFor();
  const link = page.getByTestId("note-body").getByText("click me");
  if (await link.count()) await link.click({ trial: false }).catch(() => {});
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('[data-testid="note-body"] script, [data-testid="note-body"] img[onerror]').count(), 0);
  assert.deepEqual(dialogs, []);
});
