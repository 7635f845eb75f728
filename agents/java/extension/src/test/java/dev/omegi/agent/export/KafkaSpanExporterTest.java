package dev.omegi.agent.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.junit.jupiter.api.Test;

class KafkaSpanExporterTest {
  @Test
  void a_message_value_is_an_otlp_export_trace_service_request_with_the_spans_and_resource() throws Exception {
    List<SpanData> spans = ConsoleSpanExporterTest.failingSpan();
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(KafkaSpanExporter.encode(spans));
    ResourceSpans resource = request.getResourceSpans(0);
    assertEquals(
        "checkout",
        resource.getResource().getAttributesList().stream()
            .filter(a -> a.getKey().equals("service.name"))
            .findFirst()
            .orElseThrow()
            .getValue()
            .getStringValue());
    var span = resource.getScopeSpans(0).getSpans(0);
    assertEquals("OrderRepository.load", span.getName());
    assertEquals(spans.get(0).getTraceId(), java.util.HexFormat.of().formatHex(span.getTraceId().toByteArray()));
    assertEquals("exception", span.getEvents(0).getName());
  }
}
