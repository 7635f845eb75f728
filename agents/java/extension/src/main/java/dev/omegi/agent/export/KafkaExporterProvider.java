package dev.omegi.agent.export;

import dev.omegi.agent.OmegiConfig;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * {@code otel.traces.exporter=omegi-kafka}, chosen by {@code OMEGI_EXPORTER=kafka} with {@code
 * OMEGI_KAFKA_BROKERS} and {@code OMEGI_KAFKA_TOPIC} (default {@code omegi-spans}).
 */
public final class KafkaExporterProvider implements ConfigurableSpanExporterProvider {
  @Override
  public SpanExporter createExporter(ConfigProperties properties) {
    OmegiConfig config = OmegiConfig.current();
    if (config.kafkaBrokers() == null) {
      throw new ConfigurationException("omegi-kafka needs OMEGI_KAFKA_BROKERS (host:port,...)");
    }
    String service = properties.getString("otel.service.name", "java");
    return KafkaSpanExporter.create(
        config.kafkaBrokers(), config.kafkaTopic(), config.token(), "omegi-agent-" + service);
  }

  @Override
  public String getName() {
    return "omegi-kafka";
  }
}
