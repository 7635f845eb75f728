package dev.omegi.agent.export;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/** {@code otel.traces.exporter=omegi-console}, chosen by {@code OMEGI_EXPORTER=console}. */
public final class ConsoleExporterProvider implements ConfigurableSpanExporterProvider {
  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    return new ConsoleSpanExporter(System.err);
  }

  @Override
  public String getName() {
    return "omegi-console";
  }
}
