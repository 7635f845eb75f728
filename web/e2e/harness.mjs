// End-to-end harness: a real `omegi` on a fresh SQLite database and Debian's Chromium driven
// by playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const shotsDir = join(here, "screenshots");

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `omegi serve` and resolves with its base URL once it is ready. */
export async function startOmegi() {
  const bin = process.env.OMEGI_BIN ?? join(here, "../../target/debug/omegi");
  const dir = mkdtempSync(join(tmpdir(), "omegi-e2e-"));
  const port = await freePort();
  const child = spawn(bin, ["serve", "--data-dir", dir, "--http-addr", `127.0.0.1:${port}`, "--grpc-addr", "127.0.0.1:0", "--trace-settle", "300ms", "--alert-allow-local-targets", "--alert-digest-window", "100ms"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, OMEGI_LOG: "warn" },
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return { base, stop: () => child.kill("SIGTERM") };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error("omegi did not start");
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A screenshot of the page in the light and the dark theme. */
export async function shots(page, name) {
  mkdirSync(shotsDir, { recursive: true });
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.screenshot({ path: join(shotsDir, `${name}-${theme}.png`), fullPage: true });
  }
  await page.evaluate(() => (document.documentElement.dataset.theme = "light"));
}

const hex = (n, len) => n.toString(16).padStart(len, "0");

/** An OTLP/JSON checkout trace across gateway → orders → inventory; inventory throws. */
export function checkoutTrace(n, failure = { type: "OutOfStock", message: "sku 42 is sold out" }) {
  const trace = hex(0xabc000 + n, 32);
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const span = (i, parent, name, kind, extra = {}) => ({
    traceId: trace,
    spanId: hex(n * 16 + i, 16),
    parentSpanId: parent ? hex(n * 16 + parent, 16) : "",
    name,
    kind,
    startTimeUnixNano: String(t0 + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(t0 + BigInt(i) * 1_000_000n + 5_000_000n),
    ...extra,
  });
  const error = { status: { code: "STATUS_CODE_ERROR", message: "failed" } };
  const throws = {
    status: { code: "STATUS_CODE_ERROR" },
    events: [{
      name: "exception",
      timeUnixNano: String(t0),
      attributes: [
        { key: "exception.type", value: { stringValue: failure.type } },
        { key: "exception.message", value: { stringValue: failure.message } },
        { key: "exception.stacktrace", value: { stringValue: `Traceback (most recent call last):\n  File "/venv/lib/python3.11/site-packages/flask/app.py", line 1511, in wsgi_app\n    response = self.full_dispatch_request()\n  File "/app/stock.py", line 42, in reserve\n    raise ${failure.type}(sku)\n${failure.type}: ${failure.message}` } },
      ],
    }],
  };
  const res = (service, spans) => ({
    resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
    scopeSpans: [{ spans }],
  });
  return {
    resourceSpans: [
      res("gateway", [span(1, 0, "GET /checkout", "SPAN_KIND_SERVER", error), span(2, 1, "POST /orders", "SPAN_KIND_CLIENT", error)]),
      res("orders", [span(3, 2, "POST /orders", "SPAN_KIND_SERVER", error), span(4, 3, "POST /reserve", "SPAN_KIND_CLIENT", error)]),
      res("inventory", [span(5, 4, "POST /reserve", "SPAN_KIND_SERVER", error), span(6, 5, "inventory.reserve", "SPAN_KIND_INTERNAL", {
        ...throws,
        attributes: [{ key: "code.function", value: { stringValue: "reserve" } }, { key: "code.namespace", value: { stringValue: "stock" } }],
      })]),
    ],
  };
}

export async function sendTrace(base, token, body) {
  const res = await fetch(`${base}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`);
}
