package dev.omegi.testshop;

import java.util.LinkedHashMap;
import java.util.Map;

/** Not a Spring bean: traced because its package is in OMEGI_TRACE_PACKAGES. */
public final class PriceCalculator {
  private PriceCalculator() {}

  public static long withTax(long total) {
    return total + total / 10;
  }

  /** Times n calls of a traced method, after as many warm-up calls. */
  public static Map<String, Object> timeCalls(int n) {
    long sink = 0;
    for (int i = 0; i < n; i++) {
      sink += withTax(i);
    }
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      sink += withTax(i);
    }
    long elapsed = System.nanoTime() - start;
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("calls", n);
    result.put("ns_per_call", (double) elapsed / n);
    result.put("checksum", sink);
    return result;
  }
}
