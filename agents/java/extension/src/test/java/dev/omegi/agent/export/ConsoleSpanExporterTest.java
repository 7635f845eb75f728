package dev.omegi.agent.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConsoleSpanExporterTest {
  static List<SpanData> failingSpan() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    try (SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(Resource.getDefault().merge(Resource.builder().put("service.name", "checkout").build()))
            .addSpanProcessor(SimpleSpanProcessor.create(memory))
            .build()) {
      Span span =
          provider.get("t").spanBuilder("OrderRepository.load").setStartTimestamp(1_764_000_000_000_000_000L, TimeUnit.NANOSECONDS).startSpan();
      span.recordException(new IllegalStateException("order 42 is corrupt"));
      span.setStatus(StatusCode.ERROR);
      span.end(1_764_000_000_000_250_000L, TimeUnit.NANOSECONDS);
      return memory.getFinishedSpanItems(); // before close: shutting the exporter down clears it
    }
  }

  @Test
  void each_span_is_one_line_with_time_service_ids_name_kind_duration_status_and_exception() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<SpanData> spans = failingSpan();
    new ConsoleSpanExporter(new PrintStream(bytes, true, StandardCharsets.UTF_8)).export(spans);
    SpanData span = spans.get(0);
    assertEquals(
        "[omegi] 2025-11-24T16:00:00Z checkout "
            + span.getTraceId()
            + "/"
            + span.getSpanId()
            + " OrderRepository.load internal 0.25ms ERROR java.lang.IllegalStateException: order 42 is corrupt\n",
        bytes.toString(StandardCharsets.UTF_8));
    assertTrue(ConsoleSpanExporter.format(span).startsWith("[omegi] "));
  }
}
