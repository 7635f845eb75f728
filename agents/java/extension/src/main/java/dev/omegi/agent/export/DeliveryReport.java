package dev.omegi.agent.export;

import dev.omegi.agent.Log;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps the OTLP exporter so that an unreachable Omegi costs the application nothing but the
 * dropped spans: the batch processor already exports off the application's threads with a
 * bounded queue, and this reports the failure once (one warning line when delivery starts
 * failing, one line when it works again, each with the count of dropped spans) instead of the
 * upstream exporter's line per failed batch.
 */
public final class DeliveryReport implements SpanExporter {
  /** The upstream exporter's loggers (by SDK version), which log a line per failed batch. */
  private static final String[] UPSTREAM_LOGGERS = {
    "io.opentelemetry.exporter.otlp.internal.HttpExporter",
    "io.opentelemetry.exporter.internal.http.HttpExporter",
  };

  /** The agent's own logger configuration (its shaded slf4j-simple), by system property. */
  private static final String AGENT_LOGGER_LEVEL = "io.opentelemetry.javaagent.slf4j.simpleLogger.log.";

  private final SpanExporter delegate;
  private final String endpoint;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicBoolean warned = new AtomicBoolean();
  private final AtomicLong dropped = new AtomicLong();

  public DeliveryReport(SpanExporter delegate, String endpoint) {
    this.delegate = delegate;
    this.endpoint = endpoint;
  }

  /**
   * Silences the upstream exporter's line per failed batch; must run before the exporter is
   * built, while its logger does not exist yet. An explicit level set by the user is kept.
   */
  public static void silenceUpstreamFailureLines() {
    for (String logger : UPSTREAM_LOGGERS) {
      if (System.getProperty(AGENT_LOGGER_LEVEL + logger) == null) {
        System.setProperty(AGENT_LOGGER_LEVEL + logger, "off");
      }
    }
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    CompletableResultCode result = delegate.export(spans);
    int count = spans.size();
    result.whenComplete(() -> record(result, count));
    return result;
  }

  private void record(CompletableResultCode result, int count) {
    if (result.isSuccess()) {
      if (failing.compareAndSet(true, false)) {
        Log.info("delivering spans to " + endpoint + " again; " + dropped.get() + " were dropped");
      }
      return;
    }
    dropped.addAndGet(count);
    if (!failing.compareAndSet(false, true)) {
      return;
    }
    Throwable cause = result.getFailureThrowable();
    String why = cause == null ? "" : " (" + cause.getMessage() + ")";
    if (warned.compareAndSet(false, true)) {
      Log.warn(
          "cannot deliver spans to "
              + endpoint
              + why
              + ": they are dropped and counted, the application is not slowed"
              + " (this warning is not repeated)");
    } else {
      Log.info("cannot deliver spans to " + endpoint + " again" + why);
    }
  }

  /** Spans dropped because the endpoint could not take them, since start. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    if (failing.get()) {
      Log.info(dropped.get() + " spans could not be delivered to " + endpoint);
    }
    return delegate.shutdown();
  }
}
