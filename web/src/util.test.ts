import { describe, expect, it } from "vitest";
import { ago, duration, layers, operationLine, parseTags } from "./util";
import { query } from "./api";

describe("util", () => {
  it("says how long ago", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(ago("2026-01-01T11:59:30Z", now)).toBe("30s ago");
    expect(ago("2026-01-01T10:00:00Z", now)).toBe("2h ago");
    expect(ago("2025-12-29T12:00:00Z", now)).toBe("3d ago");
  });

  it("formats durations", () => {
    expect(duration(850)).toBe("850µs");
    expect(duration(2500)).toBe("2.5ms");
    expect(duration(2_500_000)).toBe("2.50s");
  });

  it("puts callees right of their callers, even in a cycle", () => {
    const d = layers(["gw", "orders", "stock", "db"], [
      { caller: "gw", callee: "orders" },
      { caller: "orders", callee: "stock" },
      { caller: "gw", callee: "stock" },
      { caller: "stock", callee: "db" },
      { caller: "db", callee: "gw" },
    ]);
    expect(d.get("orders")).toBe(1);
    expect(d.get("stock")).toBe(2);
    expect(d.get("db")).toBe(3);
    expect([...d.values()].every((v) => v < 4)).toBe(true);
  });

  it("parses tags case-insensitively", () => {
    expect(parseTags(" DB, #ops,db ,, Kafka")).toEqual(["db", "ops", "kafka"]);
  });

  it("builds query strings from defined values", () => {
    expect(query({ q: "a b", status: undefined, limit: 5, project: "" })).toBe("?q=a+b&limit=5");
    expect(query({})).toBe("");
  });
});

describe("operationLine", () => {
  it("names a failing client call's method, URL and target", () => {
    expect(operationLine({ name: "GET", kind: "client", http_method: "GET", http_url: "http://localhost:5002/stock", target: "inventory", http_status_code: 503 }))
      .toBe("GET http://localhost:5002/stock → inventory (HTTP 503)");
  });
  it("says a method span's function once", () => {
    expect(operationLine({ name: "shop.orders.place", kind: "internal", code_function: "place", code_namespace: "shop.orders" })).toBe("shop.orders.place");
    expect(operationLine({ name: "POST /orders", kind: "server", code_function: "create", code_namespace: "shop.views" })).toBe("POST /orders — shop.views.create");
  });
});
