// Stack traces as text (Python tracebacks, Java's printStackTrace) parsed into frames, so the
// Log can show the application's own code first. Pure; tested in stack.test.ts.

export type StackFrame = {
  /** The file as printed: a path (Python) or a file name (Java). */
  file: string;
  line: number | null;
  /** The function or method name. */
  func: string;
  /** Python: the module guessed from the path; Java: the class. */
  module: string;
  /** The source line, when the trace printed it (Python). */
  code?: string;
  inApp: boolean;
};

/** One exception of a chain: its frames newest first and the line naming it. */
export type StackSegment = { exception: string; frames: StackFrame[] };

export type ParsedStack = {
  language: "python" | "java";
  /** Every exception of the chain, the one finally raised first. */
  segments: StackSegment[];
};

/** Frames of these (package prefixes) are treated as libraries when no package is known. */
const JAVA_LIBRARIES = ["java.", "javax.", "jakarta.", "jdk.", "sun.", "com.sun.", "kotlin.", "scala.", "org.springframework.", "org.apache.", "org.hibernate.", "io.netty.", "io.opentelemetry.", "com.fasterxml.", "reactor.", "org.eclipse.", "com.zaxxer.", "io.micrometer.", "org.junit.", "net.bytebuddy."];
const PY_LIBRARY_PATH = /[\\/](site-packages|dist-packages|lib[\\/]python\d(\.\d+)?)[\\/]|^<frozen |^<string>/;

/** `app.py`'s module from its path: `/srv/app/shop/pay.py` → `app.shop.pay` (best effort). */
function pythonModule(path: string): string {
  const m = path.replace(/\\/g, "/").match(/(?:site-packages|dist-packages)\/(.+)\.py$/);
  const rel = m ? m[1] : path.replace(/\\/g, "/").replace(/^\/+/, "").replace(/\.py$/, "");
  return rel.replace(/\/__init__$/, "").split("/").join(".");
}

/** Whether a module belongs to one of `packages` (dotted prefixes). */
function inPackages(module: string, packages: string[]): boolean {
  return packages.some((p) => module === p || module.startsWith(`${p}.`) || module.includes(`.${p}.`) || module.endsWith(`.${p}`));
}

function pythonSegment(lines: string[], packages: string[]): StackSegment | null {
  const frames: StackFrame[] = [];
  let i = lines.findIndex((l) => l.startsWith("Traceback (most recent call last)"));
  if (i < 0) return null;
  for (i++; i < lines.length; i++) {
    const m = lines[i].match(/^\s+File "(.+)", line (\d+), in (.+)$/);
    if (!m) {
      if (/^\s+/.test(lines[i]) && frames.length > 0 && frames[frames.length - 1].code === undefined && !/^\s+\^+\s*$/.test(lines[i])) {
        frames[frames.length - 1].code = lines[i].trim();
      }
      if (/^\S/.test(lines[i])) break;
      continue;
    }
    const [, file, line, func] = m;
    const module = pythonModule(file);
    const library = PY_LIBRARY_PATH.test(file);
    frames.push({ file, line: Number(line), func, module, inApp: packages.length ? inPackages(module, packages) && !library : !library });
  }
  const exception = lines.slice(i).join("\n").trim();
  return { exception: exception || "(no exception line)", frames: frames.reverse() };
}

function parsePython(text: string, packages: string[]): ParsedStack | null {
  // A chain prints the first exception first, each later one after a joining sentence.
  const parts = text.split(/\n\s*(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*\n/);
  const segments = parts.map((p) => pythonSegment(p.split("\n"), packages)).filter((s): s is StackSegment => s !== null);
  return segments.length ? { language: "python", segments: segments.reverse() } : null;
}

function parseJava(text: string, packages: string[]): ParsedStack | null {
  const segments: StackSegment[] = [];
  let current: StackSegment | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const at = line.match(/^\s+at (?:[\w.$/@-]+\/\/?)?([\w.$<>]+)\.([\w$<>-]+)\((?:([^:()]+)(?::(\d+))?|Native Method|Unknown Source)?\)/);
    if (at && current) {
      const [, cls, func, file, ln] = at;
      const inApp = packages.length ? inPackages(cls, packages) : !JAVA_LIBRARIES.some((p) => cls.startsWith(p));
      current.frames.push({ file: file ?? "", line: ln ? Number(ln) : null, func, module: cls, inApp });
    } else if (/^\s+\.\.\. \d+ (more|common frames omitted)/.test(line)) {
      continue;
    } else if (/^\s+(Suppressed|Caused by): /.test(line)) {
      // A suppressed exception (and its causes, indented alike): not part of the chain.
      current = { exception: "", frames: [] };
    } else if (/^Caused by: /.test(line) || (!current && /^\S/.test(line)) || (current !== null && current.frames.length > 0 && /^[\w$.]+(?:Exception|Error|Throwable)\b[\w$]*(?::|$)/.test(line))) {
      current = { exception: line.trim().replace(/^Caused by: /, ""), frames: [] };
      segments.push(current);
    } else if (current && line.trim() && current.frames.length === 0) {
      current.exception += `\n${line.trim()}`;
    }
  }
  if (!segments.some((s) => s.frames.length > 0)) return null;
  // Java prints the outermost exception first and its causes after; the root cause is what
  // was raised first, the outermost what was finally thrown.
  return { language: "java", segments: segments.filter((s) => s.frames.length > 0 || s === segments[0]) };
}

/**
 * Frames of a stack trace, or null when the text is neither a Python traceback nor a Java
 * stack trace. `packages` are the application's own (dotted prefixes, e.g. from
 * `OMEGI_TRACE_PACKAGES` or spans' `code.namespace`); without them, frames outside
 * site-packages (Python) or well-known library packages (Java) count as the application's.
 */
export function parseStack(text: string, packages: string[] = []): ParsedStack | null {
  if (text.includes("Traceback (most recent call last)")) return parsePython(text, packages);
  if (/^\s+at [\w.$]+\(/m.test(text)) return parseJava(text, packages);
  return null;
}

/** The application's packages from what the spans and resource tell: `omegi.trace_packages`
 * (comma separated) and the namespaces of method-level spans, reduced to top-level packages. */
export function appPackages(tracePackages: string | undefined, namespaces: string[]): string[] {
  const out = new Set<string>();
  for (const p of (tracePackages ?? "").split(",")) if (p.trim()) out.add(p.trim());
  for (const ns of namespaces) {
    const parts = ns.split(".");
    // `com.example.shop.Pay` → `com.example.shop`; `shop.pay` → `shop`.
    const keep = parts.length > 2 ? parts.slice(0, Math.min(3, parts.length - 1)) : parts.slice(0, 1);
    if (keep[0]) out.add(keep.join("."));
  }
  return [...out];
}
