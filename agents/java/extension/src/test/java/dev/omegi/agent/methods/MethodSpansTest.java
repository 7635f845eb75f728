package dev.omegi.agent.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MethodSpansTest {
  private final InMemorySpanExporter exported = InMemorySpanExporter.create();
  private SdkTracerProvider provider;

  @BeforeEach
  void tracer() {
    provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exported)).build();
    MethodSpans.useTracer(provider.get("test"));
  }

  @AfterEach
  void close() {
    MethodSpans.useTracer(null);
    provider.close();
  }

  private SpanData span(String name) {
    return exported.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not exported: " + exported.getFinishedSpanItems()));
  }

  private static List<String> exceptionTypes(SpanData span) {
    return span.getEvents().stream()
        .filter(e -> e.getName().equals("exception"))
        .map(EventData::getAttributes)
        .map(a -> a.get(AttributeKey.stringKey("exception.type")))
        .collect(Collectors.toList());
  }

  @Test
  void spans_are_named_by_simple_class_and_method_and_nest_in_call_order() {
    MethodSpans.Call outer = MethodSpans.enter("com.shop.OrderService", "find");
    MethodSpans.Call inner = MethodSpans.enter("com.shop.OrderRepository", "load");
    MethodSpans.exit(inner, null);
    MethodSpans.exit(outer, null);

    SpanData service = span("OrderService.find");
    SpanData repository = span("OrderRepository.load");
    assertEquals(service.getSpanId(), repository.getParentSpanId());
    assertEquals("com.shop.OrderRepository", repository.getAttributes().get(MethodSpans.NAMESPACE));
    assertEquals("load", repository.getAttributes().get(MethodSpans.FUNCTION));
    assertTrue(repository.getEndEpochNanos() <= service.getEndEpochNanos());
    assertTrue(repository.getStartEpochNanos() <= repository.getEndEpochNanos());
  }

  @Test
  void an_exception_is_recorded_once_where_thrown_and_fails_every_method_it_leaves() {
    IllegalStateException thrown = new IllegalStateException("order 42 is corrupt", new NumberFormatException("4x2"));
    MethodSpans.Call controller = MethodSpans.enter("c.Controller", "order");
    MethodSpans.Call service = MethodSpans.enter("c.Service", "find");
    MethodSpans.Call repository = MethodSpans.enter("c.Repository", "load");
    MethodSpans.exit(repository, thrown);
    assertTrue(exported.getFinishedSpanItems().isEmpty(), "kept until the caller's verdict");
    MethodSpans.exit(service, thrown);
    MethodSpans.exit(controller, thrown);

    assertEquals(List.of("java.lang.IllegalStateException"), exceptionTypes(span("Repository.load")));
    String stack =
        span("Repository.load").getEvents().get(0).getAttributes().get(MethodSpans.STACKTRACE);
    assertTrue(stack.contains("Caused by: java.lang.NumberFormatException: 4x2"), stack);
    for (String name : List.of("Repository.load", "Service.find", "Controller.order")) {
      assertEquals(StatusCode.ERROR, span(name).getStatus().getStatusCode(), name);
    }
    assertEquals(List.of(), exceptionTypes(span("Service.find")));
    assertEquals(List.of(), exceptionTypes(span("Controller.order")));
    assertEquals(
        "java.lang.IllegalStateException: order 42 is corrupt",
        span("Service.find").getStatus().getDescription());
  }

  @Test
  void an_exception_caught_by_a_traced_caller_leaves_every_span_ok() {
    MethodSpans.Call service = MethodSpans.enter("c.Service", "findOrFallback");
    MethodSpans.Call repository = MethodSpans.enter("c.Repository", "load");
    MethodSpans.exit(repository, new IllegalStateException("corrupt"));
    MethodSpans.exit(service, null);

    SpanData load = span("Repository.load");
    assertEquals(StatusCode.UNSET, load.getStatus().getStatusCode());
    assertTrue(load.getEvents().isEmpty());
    assertEquals("java.lang.IllegalStateException", load.getAttributes().get(MethodSpans.HANDLED));
    assertEquals(StatusCode.UNSET, span("Service.findOrFallback").getStatus().getStatusCode());
  }

  @Test
  void a_wrapping_exception_is_recorded_where_it_was_made_and_its_cause_where_that_was_thrown() {
    IllegalStateException cause = new IllegalStateException("disk full");
    RuntimeException wrapper = new RuntimeException("save failed", cause);
    MethodSpans.Call a = MethodSpans.enter("c.A", "run");
    MethodSpans.Call b = MethodSpans.enter("c.B", "save");
    MethodSpans.Call c = MethodSpans.enter("c.C", "write");
    MethodSpans.exit(c, cause);
    MethodSpans.exit(b, wrapper);
    MethodSpans.exit(a, wrapper);

    assertEquals(List.of("java.lang.IllegalStateException"), exceptionTypes(span("C.write")));
    assertEquals(List.of("java.lang.RuntimeException"), exceptionTypes(span("B.save")));
    assertEquals(List.of(), exceptionTypes(span("A.run")));
    assertEquals(StatusCode.ERROR, span("A.run").getStatus().getStatusCode());
  }

  @Test
  void after_a_handled_exception_a_later_failure_is_judged_on_its_own() {
    RuntimeException handled = new RuntimeException("cache miss");
    RuntimeException fatal = new RuntimeException("database down");
    MethodSpans.Call a = MethodSpans.enter("c.A", "run");
    MethodSpans.Call b = MethodSpans.enter("c.Cache", "get");
    MethodSpans.exit(b, handled);
    MethodSpans.Call c = MethodSpans.enter("c.Db", "query");
    MethodSpans.exit(c, fatal);
    MethodSpans.exit(a, fatal);

    assertEquals(StatusCode.UNSET, span("Cache.get").getStatus().getStatusCode());
    assertEquals(List.of("java.lang.RuntimeException"), exceptionTypes(span("Db.query")));
    assertEquals(StatusCode.ERROR, span("A.run").getStatus().getStatusCode());
    assertNull(span("Db.query").getAttributes().get(MethodSpans.HANDLED));
  }

  @Test
  void an_exception_leaving_the_outermost_traced_method_is_a_failure_at_once() {
    MethodSpans.Call job = MethodSpans.enter("c.Job", "run");
    MethodSpans.exit(job, new IllegalArgumentException("bad input"));
    assertEquals(List.of("java.lang.IllegalArgumentException"), exceptionTypes(span("Job.run")));
    assertEquals(StatusCode.ERROR, span("Job.run").getStatus().getStatusCode());
  }
}
