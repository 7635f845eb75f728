package dev.omegi.agent.methods;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The span of each traced method call, and where an exception is recorded.
 *
 * <p>An exception is recorded once, on the span of the deepest traced method it left (where it
 * was thrown, as far as traced code can see), and every traced method it then passes through gets
 * status ERROR. Whether it is a failure at all is known only later: a traced caller may catch and
 * handle it. So the span of a method that throws is not ended at once but kept, with its end time,
 * until the traced method around it returns: if that one rethrows the exception (itself or as the
 * cause of another), the kept span ends as failed; if it returns normally or throws something
 * unrelated, the exception was handled and the kept span ends OK. The outermost traced method on
 * a thread settles at once: an exception that leaves it is a failure.
 *
 * <p>The advice calls {@link #enter} and {@link #exit}; the agent injects this class (with its
 * nested classes) into the application's class loader, so it only uses the OpenTelemetry API.
 */
public final class MethodSpans {
  static final AttributeKey<String> NAMESPACE = AttributeKey.stringKey("code.namespace");
  static final AttributeKey<String> FUNCTION = AttributeKey.stringKey("code.function");
  static final AttributeKey<String> HANDLED = AttributeKey.stringKey("omegi.exception.handled");
  static final AttributeKey<String> TYPE = AttributeKey.stringKey("exception.type");
  static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("exception.message");
  static final AttributeKey<String> STACKTRACE = AttributeKey.stringKey("exception.stacktrace");

  /** Spans kept per thread waiting for a verdict, at most; beyond it the oldest fails at once. */
  static final int MAX_PENDING = 256;

  // Start and end times come from one clock, so a span kept open until its caller returns
  // still ends exactly when its method did.
  private static final long EPOCH_BASE;
  private static final long NANO_BASE = System.nanoTime();

  static {
    Instant now = Instant.now();
    EPOCH_BASE = now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static final ThreadLocal<Frames> FRAMES = new FramesLocal();
  private static volatile Tracer tracer;

  private MethodSpans() {}

  /** Starts the span of a call of {@code method} of the class named {@code className}. */
  public static Call enter(String className, String method) {
    Span span =
        tracer()
            .spanBuilder(simpleName(className) + "." + method)
            .setStartTimestamp(now(), TimeUnit.NANOSECONDS)
            .setAttribute(NAMESPACE, className)
            .setAttribute(FUNCTION, method)
            .startSpan();
    Scope scope = span.makeCurrent();
    Frames frames = FRAMES.get();
    frames.depth++;
    return new Call(span, scope, frames.depth);
  }

  /** Ends the call's span, or keeps it until its exception is known to be handled or not. */
  public static void exit(Call call, Throwable thrown) {
    if (call == null) {
      return;
    }
    call.scope.close();
    long end = now();
    Frames frames = FRAMES.get();
    frames.depth = call.depth - 1;
    boolean recordedBelow = frames.settle(call.depth, thrown);
    if (thrown == null) {
      call.span.end(end, TimeUnit.NANOSECONDS);
      return;
    }
    Failure failure = new Failure(call.span, thrown, end, call.depth, !recordedBelow);
    if (call.depth <= 1) {
      failure.fail();
    } else {
      frames.keep(failure);
    }
  }

  static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  static long now() {
    return EPOCH_BASE + (System.nanoTime() - NANO_BASE);
  }

  private static Tracer tracer() {
    Tracer t = tracer;
    if (t == null) {
      t = GlobalOpenTelemetry.getTracer("dev.omegi.methods", "0.1.0");
      tracer = t;
    }
    return t;
  }

  /** For tests: the tracer spans come from (null: the global one). */
  static void useTracer(Tracer t) {
    tracer = t;
  }

  /** Whether {@code thrown} is {@code original} or carries it as a cause. */
  static boolean carries(Throwable thrown, Throwable original) {
    Throwable t = thrown;
    for (int i = 0; t != null && i < 64; i++) {
      if (t == original) {
        return true;
      }
      t = t.getCause();
    }
    return false;
  }

  /** A traced call in progress. */
  public static final class Call {
    final Span span;
    final Scope scope;
    final int depth;

    Call(Span span, Scope scope, int depth) {
      this.span = span;
      this.scope = scope;
      this.depth = depth;
    }
  }

  /** A traced call that ended by throwing, waiting for its caller's verdict. */
  static final class Failure {
    final Span span;
    final Throwable thrown;
    final long end;
    final int depth;
    final boolean records;

    Failure(Span span, Throwable thrown, long end, int depth, boolean records) {
      this.span = span;
      this.thrown = thrown;
      this.end = end;
      this.depth = depth;
      this.records = records;
    }

    void fail() {
      String type = thrown.getClass().getName();
      String message = thrown.getMessage();
      if (records) {
        StringWriter trace = new StringWriter();
        thrown.printStackTrace(new PrintWriter(trace));
        span.addEvent(
            "exception",
            Attributes.of(
                TYPE, type, MESSAGE, message == null ? "" : message, STACKTRACE, trace.toString()),
            end,
            TimeUnit.NANOSECONDS);
      }
      span.setStatus(StatusCode.ERROR, message == null ? type : type + ": " + message);
      span.end(end, TimeUnit.NANOSECONDS);
    }

    void handled() {
      span.setAttribute(HANDLED, thrown.getClass().getName());
      span.end(end, TimeUnit.NANOSECONDS);
    }
  }

  /** A thread's traced-call depth and its calls waiting for a verdict, in the order they ended. */
  static final class Frames {
    int depth;
    final ArrayList<Failure> pending = new ArrayList<>();

    void keep(Failure failure) {
      if (pending.size() >= MAX_PENDING) {
        pending.remove(0).fail();
      }
      pending.add(failure);
    }

    /**
     * Gives the verdict on the calls made inside the call at {@code depth}, which now ends by
     * throwing {@code thrown} (null: it returned). Returns whether {@code thrown} itself was
     * recorded on one of them.
     */
    boolean settle(int depth, Throwable thrown) {
      boolean recorded = false;
      int kept = 0;
      for (int i = 0; i < pending.size(); i++) {
        Failure inner = pending.get(i);
        if (inner.depth <= depth) {
          pending.set(kept++, inner);
        } else if (thrown != null && carries(thrown, inner.thrown)) {
          inner.fail();
          recorded |= inner.thrown == thrown;
        } else {
          inner.handled();
        }
      }
      pending.subList(kept, pending.size()).clear();
      return recorded;
    }
  }

  static final class FramesLocal extends ThreadLocal<Frames> {
    @Override
    protected Frames initialValue() {
      return new Frames();
    }
  }
}
