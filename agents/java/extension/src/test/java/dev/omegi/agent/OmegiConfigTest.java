package dev.omegi.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OmegiConfigTest {
  @AfterEach
  void clearProperties() {
    System.clearProperty("omegi.service.name");
    System.clearProperty("omegi.exporter");
  }

  @Test
  void omegi_settings_become_the_opentelemetry_settings_a_user_would_otherwise_write() {
    OmegiConfig config =
        OmegiConfig.from(
            Map.of(
                "OMEGI_SERVICE_NAME", "checkout",
                "OMEGI_ENDPOINT", "http://omegi.internal:8080/",
                "OMEGI_TOKEN", "omg_secret",
                "OMEGI_TRACE_PACKAGES", "com.shop, com.shared ,"));
    Map<String, String> otel = config.openTelemetryDefaults();
    assertEquals("checkout", otel.get("otel.service.name"));
    assertEquals("otlp", otel.get("otel.traces.exporter"));
    assertEquals("http://omegi.internal:8080/v1/traces", otel.get("otel.exporter.otlp.traces.endpoint"));
    assertEquals("http/protobuf", otel.get("otel.exporter.otlp.traces.protocol"));
    assertEquals("Authorization=Bearer omg_secret", otel.get("otel.exporter.otlp.traces.headers"));
    assertEquals("none", otel.get("otel.metrics.exporter"));
    assertEquals(List.of("com.shop", "com.shared"), config.tracePackages());
    assertTrue(config.problems().isEmpty(), config.problems().toString());
  }

  @Test
  void a_system_property_wins_over_the_environment_variable() {
    System.setProperty("omegi.service.name", "from-property");
    OmegiConfig config = OmegiConfig.from(Map.of("OMEGI_SERVICE_NAME", "from-env", "OMEGI_TOKEN", "t"));
    assertEquals("from-property", config.serviceName());
  }

  @Test
  void exporters_combine_and_map_to_the_extension_exporters() {
    System.setProperty("omegi.exporter", "console, KAFKA,otlp");
    OmegiConfig config =
        OmegiConfig.from(Map.of("OMEGI_TOKEN", "t", "OMEGI_KAFKA_BROKERS", "127.0.0.1:9092"));
    assertEquals(Set.of("console", "kafka", "otlp"), config.exporters());
    assertEquals("omegi-kafka,otlp", config.openTelemetryDefaults().get("otel.traces.exporter"));
    assertEquals("omegi-spans", config.kafkaTopic());
  }

  @Test
  void an_unknown_exporter_is_reported_and_skipped_and_the_others_still_run() {
    OmegiConfig config = OmegiConfig.from(Map.of("OMEGI_EXPORTER", "console,zipkin", "OMEGI_TOKEN", "t"));
    assertEquals(Set.of("console"), config.exporters());
    assertEquals(
        List.of("OMEGI_EXPORTER names an unknown exporter 'zipkin' (known: otlp, console, kafka); it is skipped"),
        config.problems());
  }

  @Test
  void a_malformed_endpoint_turns_otlp_off_with_one_clear_line() {
    OmegiConfig config = OmegiConfig.from(Map.of("OMEGI_ENDPOINT", "omegi:8080", "OMEGI_TOKEN", "t"));
    assertNull(config.endpoint());
    assertEquals("none", config.openTelemetryDefaults().get("otel.traces.exporter"));
    assertEquals(1, config.problems().size());
    assertTrue(config.problems().get(0).startsWith("OMEGI_ENDPOINT 'omegi:8080' is not an http(s) URL"));
  }

  @Test
  void without_a_token_nothing_is_sent_over_otlp_and_the_reason_is_said() {
    OmegiConfig config = OmegiConfig.from(Map.of());
    assertEquals(Set.of(), config.exporters());
    assertEquals(
        List.of("OMEGI_TOKEN is not set: spans are not sent to Omegi over OTLP"), config.problems());
  }

  @Test
  void kafka_without_brokers_is_reported_and_off() {
    OmegiConfig config = OmegiConfig.from(Map.of("OMEGI_EXPORTER", "kafka,console"));
    assertEquals(Set.of("console"), config.exporters());
    assertTrue(config.problems().get(0).contains("OMEGI_KAFKA_BROKERS is not set"));
  }

  @Test
  void the_start_up_line_names_service_endpoint_exporters_and_traced_code() {
    OmegiConfig config =
        OmegiConfig.from(Map.of("OMEGI_TOKEN", "t", "OMEGI_TRACE_PACKAGES", "com.shop"));
    assertEquals(
        "service=checkout endpoint=http://localhost:8080 exporters=otlp traced=com.shop,"
            + " @Service/@Component/@Repository/@Controller/@RestController classes",
        config.summary("checkout"));
  }
}
