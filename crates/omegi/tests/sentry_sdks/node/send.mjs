// Sends to Omegi with @sentry/node as an application would: only the DSN points at Omegi.
//   node send.mjs <dsn> unhandled <sku>   an uncaught exception (with a cause) ends the process
//   node send.mjs <dsn> message <text>    captureMessage
//   node send.mjs <dsn> fingerprint <kind> captureException under a custom fingerprint
import * as Sentry from "@sentry/node";

const [dsn, mode, arg] = process.argv.slice(2);
Sentry.init({ dsn, release: "checkout-node@2.0.1", environment: "staging" });

class OutOfStock extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "OutOfStock";
  }
}

function lookup(stock, sku) {
  if (!(sku in stock)) {
    throw new TypeError(`no stock entry for ${sku}`);
  }
  return stock[sku];
}

function reserve(sku) {
  try {
    return lookup({ "sku-1": 2 }, sku);
  } catch (cause) {
    throw new OutOfStock(`${sku} is out of stock`, { cause });
  }
}

if (mode === "unhandled") {
  setTimeout(() => reserve(arg), 0);
} else if (mode === "message") {
  Sentry.captureMessage(`inventory sync late: ${arg}`);
  await Sentry.flush(5000);
} else if (mode === "fingerprint") {
  Sentry.withScope((scope) => {
    scope.setFingerprint(["payment-provider-down"]);
    Sentry.captureException(arg === "range" ? new RangeError("amount out of range") : new SyntaxError("bad provider answer"));
  });
  await Sentry.flush(5000);
}
