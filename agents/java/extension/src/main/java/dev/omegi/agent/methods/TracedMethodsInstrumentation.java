package dev.omegi.agent.methods;

import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isAnnotatedWith;
import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isGetter;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.isMethod;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.isSetter;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameContains;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.not;

import io.opentelemetry.javaagent.extension.instrumentation.TypeInstrumentation;
import io.opentelemetry.javaagent.extension.instrumentation.TypeTransformer;
import java.util.List;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * Which classes and methods get method-level spans: every class in an {@code
 * OMEGI_TRACE_PACKAGES} package (or below it), and every class annotated as a Spring stereotype
 * (matched by name, so nothing of Spring is needed at build time); in them, every method with a
 * body except constructors, getters and setters, {@code toString/equals/hashCode}, {@code main},
 * and what the compiler generated (synthetic and bridge methods, lambdas).
 */
public final class TracedMethodsInstrumentation implements TypeInstrumentation {
  static final List<String> STEREOTYPES =
      List.of(
          "org.springframework.stereotype.Service",
          "org.springframework.stereotype.Component",
          "org.springframework.stereotype.Repository",
          "org.springframework.stereotype.Controller",
          "org.springframework.web.bind.annotation.RestController");

  private final List<String> packages;

  public TracedMethodsInstrumentation(List<String> packages) {
    this.packages = packages;
  }

  @Override
  public ElementMatcher<TypeDescription> typeMatcher() {
    ElementMatcher.Junction<TypeDescription> traced = none();
    for (String prefix : packages) {
      traced = traced.or(named(prefix)).or(nameStartsWith(prefix + "."));
    }
    traced = traced.or(isAnnotatedWith(namedOneOf(STEREOTYPES.toArray(new String[0]))));
    return traced
        .and(not(isInterface()))
        // Generated proxies (Spring's CGLIB subclasses) call the traced class: no second span.
        .and(not(nameContains("$$")))
        .and(not(nameStartsWith("org.springframework.")))
        .and(not(nameStartsWith("dev.omegi.agent.")))
        .and(not(nameStartsWith("io.opentelemetry.")));
  }

  static ElementMatcher.Junction<MethodDescription> tracedMethods() {
    return isMethod()
        .and(not(isAbstract()))
        .and(not(isNative()))
        .and(not(isSynthetic()))
        .and(not(isBridge()))
        .and(not(isGetter()))
        .and(not(isSetter()))
        .and(not(nameStartsWith("lambda$")))
        .and(not(namedOneOf("toString", "equals", "hashCode")))
        .and(not(named("main").and(isStatic())));
  }

  @Override
  public void transform(TypeTransformer transformer) {
    transformer.applyAdviceToMethod(tracedMethods(), TracedMethodAdvice.class.getName());
  }
}
