package dev.omegi.agent.methods;

import net.bytebuddy.asm.Advice;

/** Inlined into every traced method: a span around the call (see {@link MethodSpans}). */
public final class TracedMethodAdvice {
  private TracedMethodAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  public static MethodSpans.Call onEnter(
      @Advice.Origin("#t") String className, @Advice.Origin("#m") String method) {
    return MethodSpans.enter(className, method);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  public static void onExit(
      @Advice.Enter MethodSpans.Call call, @Advice.Thrown Throwable thrown) {
    MethodSpans.exit(call, thrown);
  }
}
