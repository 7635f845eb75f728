package dev.omegi.agent;

import dev.omegi.agent.export.ConsoleSpanExporter;
import dev.omegi.agent.export.DeliveryReport;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Map;

/**
 * Turns the {@code OMEGI_*} settings into OpenTelemetry settings before the agent builds its SDK,
 * so a user sets nothing else: service name, OTLP endpoint and token, exporters. They are
 * defaults, so explicit {@code OTEL_*} settings still win. Prints the one start-up line.
 */
public final class OmegiAutoConfiguration implements AutoConfigurationCustomizerProvider {

  @Override
  public void customize(AutoConfigurationCustomizer autoConfiguration) {
    OmegiConfig config = OmegiConfig.current();
    if (config.exporters().contains(OmegiConfig.OTLP)) {
      DeliveryReport.silenceUpstreamFailureLines();
    }
    autoConfiguration.addPropertiesSupplier(config::openTelemetryDefaults);
    autoConfiguration.addPropertiesCustomizer(
        properties -> {
          announce(config, properties);
          return Map.of();
        });
    autoConfiguration.addSpanExporterCustomizer(OmegiAutoConfiguration::reportDelivery);
    if (config.exporters().contains(OmegiConfig.CONSOLE)) {
      autoConfiguration.addTracerProviderCustomizer(
          (tracerProvider, properties) -> tracerProvider.addSpanProcessor(consoleProcessor()));
    }
  }

  /** The console's own batch processor: printing never waits for another exporter. */
  private static SpanProcessor consoleProcessor() {
    return BatchSpanProcessor.builder(new ConsoleSpanExporter(System.err))
        .setScheduleDelay(Duration.ofMillis(200))
        .build();
  }

  private static void announce(OmegiConfig config, ConfigProperties properties) {
    for (String problem : config.problems()) {
      Log.warn(problem);
    }
    Log.info("agent " + Log.VERSION + ": " + config.summary(properties.getString("otel.service.name")));
  }

  /** OTLP exports that fail are reported once, not once per batch (see {@link DeliveryReport}). */
  private static SpanExporter reportDelivery(SpanExporter exporter, ConfigProperties properties) {
    if (!exporter.getClass().getSimpleName().startsWith("Otlp")) {
      return exporter;
    }
    String endpoint = properties.getString("otel.exporter.otlp.traces.endpoint", "the OTLP endpoint");
    return new DeliveryReport(exporter, endpoint);
  }
}
