import { useState } from "react";

const TABS = ["python", "java", "otel", "collector", "sentry-python", "sentry-node", "sentry-java"] as const;
type Tab = (typeof TABS)[number];
const LABELS: Record<Tab, string> = {
  python: "Python agent",
  java: "Java agent",
  otel: "OpenTelemetry SDK",
  collector: "Collector",
  "sentry-python": "Sentry Python",
  "sentry-node": "Sentry Node",
  "sentry-java": "Sentry Java",
};

/** Ready-to-paste configuration for sending a service's traces to this Omegi. */
export function SetupGuide({ service, token, dsn }: { service: string; token: string; dsn?: string }) {
  const origin = window.location.origin;
  const host = window.location.hostname;
  const [tab, setTab] = useState<Tab>("python");
  const d = dsn ?? "<create a Sentry DSN for this service first>";
  const text: Record<Tab, string> = {
    python: `pip install ./agents/python        # from the Omegi repository
export OMEGI_SERVICE_NAME=${service}
export OMEGI_ENDPOINT=${origin}
export OMEGI_TOKEN=${token}
export OMEGI_TRACE_PACKAGES=myapp      # your own packages, traced method by method
omegi-run python app.py                # or: omegi-run gunicorn app:app`,
    java: `# Omegi's Java agent: the OpenTelemetry Java agent with Omegi's extension inside.
# Build it once from the Omegi repository (Maven + JDK 17):
#   scripts/build-java-agent.sh   ->   agents/java/agent/target/omegi-agent.jar
export OMEGI_SERVICE_NAME=${service}
export OMEGI_ENDPOINT=${origin}
export OMEGI_TOKEN=${token}
export OMEGI_TRACE_PACKAGES=com.example.shop   # your own packages, traced method by method
java -javaagent:omegi-agent.jar -jar app.jar

# Spring Boot (mvn spring-boot:run, a container, an IDE): the JVM picks the agent up from
JAVA_TOOL_OPTIONS="-javaagent:/path/to/omegi-agent.jar"

# Already running the stock OpenTelemetry agent? Add only Omegi's extension to it:
java -javaagent:opentelemetry-javaagent.jar \\
     -Dotel.javaagent.extensions=omegi-extension.jar -jar app.jar`,
    otel: `# Any OpenTelemetry SDK, OTLP over HTTP
export OTEL_SERVICE_NAME=${service}
export OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf
export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${origin}/v1/traces
export OTEL_EXPORTER_OTLP_TRACES_HEADERS="authorization=Bearer ${token}"

# or OTLP over gRPC (port 4317 by default)
export OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc
export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://${host}:4317
export OTEL_EXPORTER_OTLP_TRACES_HEADERS="x-omegi-token=${token}"`,
    collector: `# OpenTelemetry Collector: forward traces to Omegi
exporters:
  otlphttp/omegi:
    traces_endpoint: ${origin}/v1/traces
    headers:
      authorization: "Bearer ${token}"
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp/omegi]`,
    "sentry-python": `# Already on Sentry's Python SDK? Change only the DSN.
import sentry_sdk

sentry_sdk.init(
    dsn="${d}",
    traces_sample_rate=1.0,   # send transactions too: the error is shown inside its trace
)
# Services under Omegi's agents continue its traces (they read the sentry-trace header).`,
    "sentry-node": `// Already on @sentry/node? Change only the DSN.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: "${d}",
  tracesSampleRate: 1.0,
});`,
    "sentry-java": `// Already on io.sentry:sentry (or sentry-spring-boot)? Change only the DSN.
Sentry.init(options -> {
    options.setDsn("${d}");
    options.setTracesSampleRate(1.0);
    options.addInAppInclude("com.example.shop");   // your own packages
});
# Spring Boot: sentry.dsn=${d} in application.properties`,
  };
  return (
    <div className="guide" data-testid="setup-guide">
      <div className="tabs">
        {TABS.map((t) => (
          <button key={t} type="button" className={tab === t ? "active" : ""} onClick={() => setTab(t)}>
            {LABELS[t]}
          </button>
        ))}
      </div>
      <pre>{text[tab]}</pre>
      <button className="ghost small" onClick={() => navigator.clipboard?.writeText(text[tab])}>Copy</button>
    </div>
  );
}
