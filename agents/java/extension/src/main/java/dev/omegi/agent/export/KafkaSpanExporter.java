package dev.omegi.agent.export;

import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes spans to Kafka in the format Omegi's Kafka ingestion reads and the OpenTelemetry
 * Collector's Kafka exporter writes with {@code otlp_proto} and {@code partition_traces_by_id}:
 * one message per trace in each batch, the value an OTLP protobuf {@code
 * ExportTraceServiceRequest}, the key the trace id in lowercase hex (so a trace's spans stay in
 * one partition, in order), and the service's ingest token in the header {@code omegi-token}.
 */
public final class KafkaSpanExporter implements SpanExporter {
  public static final String TOKEN_HEADER = "omegi-token";

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final byte[] token;

  KafkaSpanExporter(Producer<byte[], byte[]> producer, String topic, String token) {
    this.producer = producer;
    this.topic = topic;
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  /** A producer for the brokers given; sends wait for every in-sync replica ({@code acks=all}). */
  public static KafkaSpanExporter create(String brokers, String topic, String token, String clientId) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // The batch processor's thread waits at most this long for metadata when Kafka is away;
    // the application's own threads never wait for Kafka at all.
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    // The Kafka client loads some classes by name through the thread's context class loader;
    // inside the agent that must be the extension's own loader, where the shaded client lives.
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(KafkaSpanExporter.class.getClassLoader());
    try {
      return new KafkaSpanExporter(
          new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer()),
          topic,
          token);
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    Map<String, List<SpanData>> traces = new LinkedHashMap<>();
    for (SpanData span : spans) {
      traces.computeIfAbsent(span.getTraceId(), id -> new ArrayList<>()).add(span);
    }
    List<CompletableResultCode> sends = new ArrayList<>(traces.size());
    for (Map.Entry<String, List<SpanData>> trace : traces.entrySet()) {
      sends.add(send(trace.getKey(), trace.getValue()));
    }
    return CompletableResultCode.ofAll(sends);
  }

  private CompletableResultCode send(String traceId, List<SpanData> spans) {
    CompletableResultCode sent = new CompletableResultCode();
    try {
      ProducerRecord<byte[], byte[]> record =
          new ProducerRecord<>(topic, traceId.getBytes(StandardCharsets.UTF_8), encode(spans));
      if (token != null) {
        record.headers().add(TOKEN_HEADER, token);
      }
      producer.send(
          record,
          (metadata, error) -> {
            if (error == null) {
              sent.succeed();
            } else {
              sent.failExceptionally(error);
            }
          });
    } catch (RuntimeException | IOException e) {
      sent.failExceptionally(e);
    }
    return sent;
  }

  /** The OTLP protobuf {@code ExportTraceServiceRequest} for these spans. */
  static byte[] encode(Collection<SpanData> spans) throws IOException {
    TraceRequestMarshaler request = TraceRequestMarshaler.create(spans);
    ByteArrayOutputStream out = new ByteArrayOutputStream(request.getBinarySerializedSize());
    request.writeBinaryTo(out);
    return out.toByteArray();
  }

  @Override
  public CompletableResultCode flush() {
    producer.flush();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    producer.close(Duration.ofSeconds(5));
    return CompletableResultCode.ofSuccess();
  }
}
