import { describe, expect, it } from "vitest";
import { appPackages, parseStack } from "./stack";

const python = `Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/flask/app.py", line 1511, in wsgi_app
    response = self.full_dispatch_request()
  File "/srv/shop/views.py", line 20, in checkout
    order = place(cart)
  File "/srv/shop/orders.py", line 42, in place
    raise OutOfStock(sku)
  File "/venv/lib/python3.11/site-packages/requests/models.py", line 1021, in raise_for_status
    raise HTTPError(http_error_msg, response=self)
shop.orders.OutOfStock: sku 42 is sold out`;

const chained = `Traceback (most recent call last):
  File "/srv/shop/db.py", line 8, in read
    return conn.execute(q)
sqlite3.OperationalError: database is locked

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/shop/views.py", line 12, in show
    raise LookupFailed() from e
shop.views.LookupFailed`;

const java = `java.lang.IllegalStateException: payment failed
\tat com.example.shop.Pay.charge(Pay.java:42)
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)
\tat java.base/java.lang.Thread.run(Thread.java:833)
\tSuppressed: java.io.IOException: close failed
\t\tat com.example.shop.Conn.close(Conn.java:9)
Caused by: java.sql.SQLTimeoutException: query timed out
\tat com.mysql.cj.jdbc.StatementImpl.executeQuery(StatementImpl.java:1200)
\tat com.example.shop.Repo.find(Repo.java:17)
\t... 3 more`;

describe("parseStack", () => {
  it("reads a Python traceback newest frame first, with the exception line and source lines", () => {
    const s = parseStack(python, ["shop"])!;
    expect(s.language).toBe("python");
    expect(s.segments).toHaveLength(1);
    const [seg] = s.segments;
    expect(seg.exception).toBe("shop.orders.OutOfStock: sku 42 is sold out");
    expect(seg.frames.map((f) => [f.func, f.line, f.inApp])).toEqual([
      ["raise_for_status", 1021, false],
      ["place", 42, true],
      ["checkout", 20, true],
      ["wsgi_app", 1511, false],
    ]);
    expect(seg.frames[1].code).toBe("raise OutOfStock(sku)");
    expect(seg.frames[1].module).toBe("srv.shop.orders");
  });

  it("without known packages, frames outside site-packages are the application's", () => {
    const s = parseStack(python)!;
    expect(s.segments[0].frames.map((f) => f.inApp)).toEqual([false, true, true, false]);
  });

  it("reads a chained Python traceback, the exception finally raised first", () => {
    const s = parseStack(chained, ["shop"])!;
    expect(s.segments.map((x) => x.exception)).toEqual(["shop.views.LookupFailed", "sqlite3.OperationalError: database is locked"]);
    expect(s.segments[1].frames[0].func).toBe("read");
  });

  it("reads a Java stack trace with its causes, leaving suppressed exceptions and '... more' out", () => {
    const s = parseStack(java, ["com.example.shop"])!;
    expect(s.language).toBe("java");
    expect(s.segments.map((x) => x.exception)).toEqual(["java.lang.IllegalStateException: payment failed", "java.sql.SQLTimeoutException: query timed out"]);
    expect(s.segments[0].frames.map((f) => [f.module, f.func, f.file, f.line, f.inApp])).toEqual([
      ["com.example.shop.Pay", "charge", "Pay.java", 42, true],
      ["org.springframework.web.servlet.FrameworkServlet", "service", "FrameworkServlet.java", 897, false],
      ["java.lang.Thread", "run", "Thread.java", 833, false],
    ]);
    expect(s.segments[1].frames.map((f) => f.inApp)).toEqual([false, true]);
  });

  it("keeps a multi-line Java message together", () => {
    const text = `org.springframework.web.client.HttpClientErrorException: 400: "{
  "error": "bad sku"
}"
\tat com.example.shop.Client.call(Client.java:10)
\tat java.base/java.lang.Thread.run(Thread.java:833)`;
    const s = parseStack(text, ["com.example.shop"])!;
    expect(s.segments).toHaveLength(1);
    expect(s.segments[0].exception).toContain('"bad sku"');
    expect(s.segments[0].frames.map((f) => f.func)).toEqual(["call", "run"]);
  });

  it("without packages, well-known library packages are not the application's", () => {
    const s = parseStack(java)!;
    expect(s.segments[0].frames.map((f) => f.inApp)).toEqual([true, false, false]);
  });

  it("is null for text that is no stack trace", () => {
    expect(parseStack("Error: something odd happened")).toBeNull();
  });
});

describe("appPackages", () => {
  it("joins OMEGI_TRACE_PACKAGES with the packages of method-level spans", () => {
    expect(appPackages("shop, billing", ["shop.orders", "com.example.shop.Pay"])).toEqual(["shop", "billing", "com.example.shop"]);
  });
});
