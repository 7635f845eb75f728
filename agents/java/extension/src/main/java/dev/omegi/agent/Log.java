package dev.omegi.agent;

/** The agent's own lines on standard error, each starting with {@code [omegi]}. */
public final class Log {
  public static final String VERSION = "0.1.0";

  private Log() {}

  public static void info(String message) {
    System.err.println("[omegi] " + message);
  }

  public static void warn(String message) {
    System.err.println("[omegi] warning: " + message);
  }
}
