package dev.omegi.sentrytest;

import io.sentry.Sentry;
import java.util.Map;

/**
 * Sends to Omegi with io.sentry:sentry as an application would: only the DSN points at Omegi.
 * {@code java -cp 'target/lib/*' SendError.java <dsn> unhandled|message|fingerprint <arg>}
 */
public class SendError {
    static class OutOfStockException extends RuntimeException {
        OutOfStockException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static int lookup(Map<String, Integer> stock, String sku) {
        Integer n = stock.get(sku);
        if (n == null) {
            throw new IllegalArgumentException("no stock entry for " + sku);
        }
        return n;
    }

    static int reserve(String sku) {
        try {
            return lookup(Map.of("sku-1", 2), sku);
        } catch (IllegalArgumentException cause) {
            throw new OutOfStockException(sku + " is out of stock", cause);
        }
    }

    public static void main(String[] args) {
        String dsn = args[0], mode = args[1], arg = args[2];
        Sentry.init(options -> {
            options.setDsn(dsn);
            options.setRelease("checkout-java@3.1.0");
            options.setEnvironment("staging");
            options.addInAppInclude("dev.omegi");
        });
        switch (mode) {
            case "unhandled" -> reserve(arg);
            case "message" -> Sentry.captureMessage("ledger export late: " + arg);
            case "fingerprint" -> Sentry.withScope(scope -> {
                scope.setFingerprint(java.util.List.of("payment-provider-down"));
                Sentry.captureException(arg.equals("state")
                        ? new IllegalStateException("provider in maintenance")
                        : new UnsupportedOperationException("provider refused"));
            });
            default -> throw new IllegalArgumentException(mode);
        }
        Sentry.close();
    }
}
