import { useState } from "react";
import { api } from "../api";
import { useData } from "../hooks";
import { CopyButton } from "./CopyButton";

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
/** The Python agent's extras, one per library it instruments. */
const EXTRAS = ["flask", "fastapi", "django", "requests", "httpx", "urllib3"];

/** A block of configuration with a Copy button that copies exactly the text shown. */
function Block({ text, id }: { text: string; id: string }) {
  return (
    <div className="guide-block">
      <pre data-testid={`guide-${id}`}>{text}</pre>
      <CopyButton text={text} testId={`copy-${id}`} />
    </div>
  );
}

/** Ready-to-paste configuration for sending a service's traces to this Omegi: the server's
 * own public URL and ports, and the agent extras for the frameworks the service runs (as its
 * agent reported them, or as ticked here). */
export function SetupGuide({ project, serviceId, service, token, dsn }: { project: number; serviceId: number; service: string; token: string; dsn?: string }) {
  const info = useData(() => api.serviceSetup(project, serviceId), [project, serviceId]);
  const [tab, setTab] = useState<Tab>("python");
  const [picked, setPicked] = useState<string[] | null>(null);
  if (!info.data) return info.error ? <p className="error-text">{info.error}</p> : <div className="placeholder" style={{ height: 120 }} />;
  const { public_url: origin, otlp_http_endpoint: httpEndpoint, otlp_grpc_endpoint: grpcEndpoint, frameworks: detected } = info.data;
  const extras = picked ?? (detected.length ? detected.filter((f) => EXTRAS.includes(f)) : ["flask", "requests"]);
  const d = dsn ?? "<create a Sentry DSN for this service first>";
  const python = `pip install "./agents/python${extras.length ? `[${extras.join(",")}]` : ""}"   # from the Omegi repository
export OMEGI_SERVICE_NAME=${service}
export OMEGI_ENDPOINT=${origin}
export OMEGI_TOKEN=${token}
export OMEGI_TRACE_PACKAGES=myapp      # your own packages, traced method by method
omegi-run python app.py                # or: omegi-run gunicorn app:app`;
  const text: Record<Tab, string> = {
    python,
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
export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${httpEndpoint}
export OTEL_EXPORTER_OTLP_TRACES_HEADERS="authorization=Bearer ${token}"

# or OTLP over gRPC, on this server's gRPC port
export OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc
export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${grpcEndpoint}
export OTEL_EXPORTER_OTLP_TRACES_HEADERS="x-omegi-token=${token}"`,
    collector: `# OpenTelemetry Collector: forward traces to Omegi
exporters:
  otlphttp/omegi:
    traces_endpoint: ${httpEndpoint}
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
  const toggle = (f: string) => setPicked(extras.includes(f) ? extras.filter((x) => x !== f) : EXTRAS.filter((x) => x === f || extras.includes(x)));
  return (
    <div className="guide" data-testid="setup-guide">
      <div className="tabs">
        {TABS.map((t) => (
          <button key={t} type="button" className={tab === t ? "active" : ""} onClick={() => setTab(t)}>
            {LABELS[t]}
          </button>
        ))}
      </div>
      {tab === "python" && (
        <p className="inline-form small" data-testid="extras">
          <span className="muted">{detected.length ? "Frameworks the agent found in this service:" : "Your frameworks:"}</span>
          {EXTRAS.map((f) => (
            <label key={f} className="check"><input type="checkbox" checked={extras.includes(f)} onChange={() => toggle(f)} /> {f}</label>
          ))}
        </p>
      )}
      <Block text={text[tab]} id={tab} />
    </div>
  );
}
