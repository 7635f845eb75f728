package dev.omegi.agent.export;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Locale;

/**
 * One readable line per span on standard error, the same line as the Python agent's:
 *
 * <pre>
 * [omegi] 2026-11-25T17:00:00.123Z shop 4bf9…/00f0… OrderService.find internal 0.21ms ERROR java.lang.IllegalStateException: order 42 is corrupt
 * </pre>
 */
public final class ConsoleSpanExporter implements SpanExporter {
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> TYPE = AttributeKey.stringKey("exception.type");
  private static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("exception.message");

  private final PrintStream out;

  public ConsoleSpanExporter(PrintStream out) {
    this.out = out;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    StringBuilder lines = new StringBuilder();
    for (SpanData span : spans) {
      lines.append(format(span)).append('\n');
    }
    out.print(lines);
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  static String format(SpanData span) {
    Instant start = Instant.ofEpochSecond(0, span.getStartEpochNanos()).truncatedTo(ChronoUnit.MILLIS);
    double ms = (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e6;
    StringBuilder line =
        new StringBuilder("[omegi] ")
            .append(start)
            .append(' ')
            .append(span.getResource().getAttribute(SERVICE))
            .append(' ')
            .append(span.getTraceId())
            .append('/')
            .append(span.getSpanId())
            .append(' ')
            .append(span.getName())
            .append(' ')
            .append(span.getKind().name().toLowerCase(Locale.ROOT))
            .append(' ')
            .append(String.format(Locale.ROOT, "%.2fms", ms))
            .append(' ')
            .append(span.getStatus().getStatusCode() == StatusCode.ERROR ? "ERROR" : "OK");
    for (EventData event : span.getEvents()) {
      if (event.getName().equals("exception")) {
        line.append(' ')
            .append(event.getAttributes().get(TYPE))
            .append(": ")
            .append(event.getAttributes().get(MESSAGE));
      }
    }
    return line.toString();
  }

  @Override
  public CompletableResultCode flush() {
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return flush();
  }
}
