package dev.omegi.agent;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The agent's settings, read once at start-up from the same {@code OMEGI_*} environment variables
 * as the Python agent, each also as a system property ({@code OMEGI_SERVICE_NAME} is {@code
 * -Domegi.service.name}); the system property wins. A bad value never stops the application: it
 * becomes a line in {@link #problems()} and the setting falls back to what is safe.
 */
public final class OmegiConfig {
  public static final String OTLP = "otlp";
  public static final String CONSOLE = "console";
  public static final String KAFKA = "kafka";
  private static final List<String> EXPORTERS = List.of(OTLP, CONSOLE, KAFKA);
  public static final String DEFAULT_ENDPOINT = "http://localhost:8080";
  public static final String DEFAULT_TOPIC = "omegi-spans";

  private final String serviceName;
  private final String endpoint;
  private final String token;
  private final Set<String> exporters;
  private final List<String> tracePackages;
  private final String kafkaBrokers;
  private final String kafkaTopic;
  private final List<String> problems;

  private OmegiConfig(Function<String, String> lookup) {
    List<String> problems = new ArrayList<>();
    this.serviceName = setting(lookup, "OMEGI_SERVICE_NAME");
    this.token = setting(lookup, "OMEGI_TOKEN");
    this.endpoint = endpoint(setting(lookup, "OMEGI_ENDPOINT"), problems);
    this.exporters = exporters(setting(lookup, "OMEGI_EXPORTER"), problems);
    this.tracePackages = list(setting(lookup, "OMEGI_TRACE_PACKAGES"));
    this.kafkaBrokers = setting(lookup, "OMEGI_KAFKA_BROKERS");
    String topic = setting(lookup, "OMEGI_KAFKA_TOPIC");
    this.kafkaTopic = topic == null ? DEFAULT_TOPIC : topic;
    if (exporters.contains(OTLP) && endpoint == null) {
      exporters.remove(OTLP);
    }
    if (exporters.contains(OTLP) && token == null) {
      problems.add("OMEGI_TOKEN is not set: spans are not sent to Omegi over OTLP");
      exporters.remove(OTLP);
    }
    if (exporters.contains(KAFKA) && kafkaBrokers == null) {
      problems.add("OMEGI_EXPORTER names kafka but OMEGI_KAFKA_BROKERS is not set: kafka is off");
      exporters.remove(KAFKA);
    }
    this.problems = Collections.unmodifiableList(problems);
  }

  private static volatile OmegiConfig current;

  /** The settings of this process (system properties first, then the environment), read once. */
  public static OmegiConfig current() {
    OmegiConfig config = current;
    if (config == null) {
      synchronized (OmegiConfig.class) {
        if (current == null) {
          current = from(System.getenv());
        }
        config = current;
      }
    }
    return config;
  }

  /** The settings from the given environment, with this process's system properties winning. */
  public static OmegiConfig from(Map<String, String> environment) {
    return new OmegiConfig(
        name -> {
          String property = System.getProperty(propertyName(name));
          return property != null ? property : environment.get(name);
        });
  }

  /** {@code OMEGI_SERVICE_NAME} → {@code omegi.service.name}. */
  static String propertyName(String variable) {
    return variable.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  private static String setting(Function<String, String> lookup, String name) {
    String value = lookup.apply(name);
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static String endpoint(String value, List<String> problems) {
    String raw = value == null ? DEFAULT_ENDPOINT : value;
    try {
      URI uri = new URI(raw);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
        return raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    problems.add(
        "OMEGI_ENDPOINT '"
            + raw
            + "' is not an http(s) URL such as http://omegi.internal:8080: OTLP export is off");
    return null;
  }

  private static Set<String> exporters(String value, List<String> problems) {
    Set<String> chosen = new LinkedHashSet<>();
    for (String name : list(value == null ? OTLP : value)) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (EXPORTERS.contains(lower)) {
        chosen.add(lower);
      } else if (!lower.equals("none")) {
        problems.add(
            "OMEGI_EXPORTER names an unknown exporter '"
                + name
                + "' (known: otlp, console, kafka); it is skipped");
      }
    }
    return chosen;
  }

  private static List<String> list(String value) {
    List<String> items = new ArrayList<>();
    if (value != null) {
      for (String item : value.split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
    }
    return Collections.unmodifiableList(items);
  }

  /**
   * The OpenTelemetry settings these Omegi settings stand for. They are defaults: an explicit
   * {@code OTEL_*} variable or {@code -Dotel.*} property still wins.
   */
  public Map<String, String> openTelemetryDefaults() {
    Map<String, String> otel = new LinkedHashMap<>();
    if (serviceName != null) {
      otel.put("otel.service.name", serviceName);
    }
    // The console exporter is not among them: it gets a span processor of its own (see
    // OmegiAutoConfiguration), so it keeps printing while an OTLP export waits for retries.
    List<String> names = new ArrayList<>();
    for (String exporter : exporters) {
      if (!exporter.equals(CONSOLE)) {
        names.add(exporter.equals(OTLP) ? "otlp" : "omegi-" + exporter);
      }
    }
    otel.put("otel.traces.exporter", names.isEmpty() ? "none" : String.join(",", names));
    if (exporters.contains(OTLP)) {
      otel.put("otel.exporter.otlp.traces.endpoint", endpoint + "/v1/traces");
      otel.put("otel.exporter.otlp.traces.protocol", "http/protobuf");
      otel.put("otel.exporter.otlp.traces.headers", "Authorization=Bearer " + token);
    }
    // Omegi reads traces only: metrics and logs would be sent nowhere useful.
    otel.put("otel.metrics.exporter", "none");
    otel.put("otel.logs.exporter", "none");
    return otel;
  }

  /** The one line printed at start-up. */
  public String summary(String effectiveServiceName) {
    List<String> packages = new ArrayList<>(tracePackages);
    packages.add("@Service/@Component/@Repository/@Controller/@RestController classes");
    return "service="
        + (effectiveServiceName == null ? "(unnamed)" : effectiveServiceName)
        + " endpoint="
        + (endpoint == null ? "(none)" : endpoint)
        + " exporters="
        + (exporters.isEmpty() ? "none" : String.join(",", exporters))
        + (exporters.contains(KAFKA) ? " kafka=" + kafkaBrokers + "/" + kafkaTopic : "")
        + " traced="
        + String.join(", ", packages);
  }

  public String serviceName() {
    return serviceName;
  }

  public String endpoint() {
    return endpoint;
  }

  public String token() {
    return token;
  }

  public Set<String> exporters() {
    return Collections.unmodifiableSet(exporters);
  }

  public List<String> tracePackages() {
    return tracePackages;
  }

  public String kafkaBrokers() {
    return kafkaBrokers;
  }

  public String kafkaTopic() {
    return kafkaTopic;
  }

  public List<String> problems() {
    return problems;
  }
}
