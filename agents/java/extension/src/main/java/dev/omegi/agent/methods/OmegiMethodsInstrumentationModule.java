package dev.omegi.agent.methods;

import dev.omegi.agent.OmegiConfig;
import io.opentelemetry.javaagent.extension.instrumentation.InstrumentationModule;
import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import java.util.List;

/**
 * Omegi's method-level spans, an instrumentation module of the agent like its own ones: it can be
 * turned off with {@code -Dotel.instrumentation.omegi-methods.enabled=false}.
 */
public final class OmegiMethodsInstrumentationModule extends InstrumentationModule {
  public OmegiMethodsInstrumentationModule() {
    super("omegi-methods");
  }

  @Override
  public List<TypeInstrumentation> typeInstrumentations() {
    return List.of(new TracedMethodsInstrumentation(OmegiConfig.current().tracePackages()));
  }

  /** What the inlined advice calls, injected into the application's class loader. */
  @Override
  public List<String> getAdditionalHelperClassNames() {
    String spans = MethodSpans.class.getName();
    return List.of(
        spans,
        spans + "$Call",
        spans + "$Failure",
        spans + "$Frames",
        spans + "$FramesLocal");
  }
}
