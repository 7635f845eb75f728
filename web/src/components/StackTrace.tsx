import { useMemo, useState } from "react";
import type { SpanView } from "../api";
import { appPackages, parseStack, type StackFrame } from "../stack";
import { CopyButton } from "./CopyButton";

/** The span a frame ran in: a method-level span of the same service, function and module. */
function spanOf(frame: StackFrame, spans: SpanView[], service: string): SpanView | undefined {
  return spans.find((s) => {
    if (s.service !== service || s.attributes["code.function"] !== frame.func) return false;
    const ns = String(s.attributes["code.namespace"] ?? "");
    const path = String(s.attributes["code.filepath"] ?? "");
    return (ns !== "" && (frame.module === ns || frame.module.endsWith(`.${ns}`))) || (path !== "" && (frame.file === path || path.endsWith(frame.file)));
  });
}

/**
 * The Log's stack trace: parsed into frames when it is a Python or Java trace, the
 * application's own frames highlighted and listed first, library frames behind a toggle, the
 * exception line always in view, newest or oldest frame first. A frame that ran in a span
 * of the trace jumps to it. The raw text is one click away, with Copy.
 */
export function StackTrace({ text, spans, service, environment, onSpan }: {
  text: string;
  spans: SpanView[];
  service: string;
  environment: Record<string, unknown>;
  onSpan: (spanId: string) => void;
}) {
  const packages = useMemo(
    () => appPackages(
      environment["omegi.trace_packages"] as string | undefined,
      spans.filter((s) => s.service === service).map((s) => String(s.attributes["code.namespace"] ?? "")).filter(Boolean),
    ),
    [environment, spans, service],
  );
  const parsed = useMemo(() => parseStack(text, packages), [text, packages]);
  const [raw, setRaw] = useState(false);
  const [libraries, setLibraries] = useState(false);
  const [oldestFirst, setOldestFirst] = useState(false);
  const controls = (
    <div className="stack-controls">
      {parsed && !raw && (
        <button className="ghost small" onClick={() => setOldestFirst(!oldestFirst)} data-testid="frame-order">
          {oldestFirst ? "Oldest first" : "Newest first"}
        </button>
      )}
      {parsed && <button className="ghost small" onClick={() => setRaw(!raw)} data-testid="raw-toggle">{raw ? "Frames" : "Raw"}</button>}
      <CopyButton text={text} />
    </div>
  );
  if (!parsed || raw) {
    return (
      <div className="stack" data-testid={parsed ? "stack" : undefined}>
        {controls}
        <pre className="log" data-testid="log">{text}</pre>
      </div>
    );
  }
  const libraryCount = parsed.segments.reduce((n, s) => n + s.frames.filter((f) => !f.inApp).length, 0);
  return (
    <div className="stack" data-testid="stack">
      {controls}
      <pre hidden data-testid="log">{text}</pre>
      {parsed.segments.map((seg, i) => {
        const ordered = oldestFirst ? [...seg.frames].reverse() : seg.frames;
        // The application's frames first; the libraries' after them, when shown.
        const shown = libraries ? [...ordered.filter((f) => f.inApp), ...ordered.filter((f) => !f.inApp)] : ordered.filter((f) => f.inApp);
        return (
          <div key={i} className="segment">
            <p className="exception-line" data-testid="exception-line">
              {i > 0 && <span className="muted">{parsed.language === "java" ? "Caused by " : "While handling "}</span>}
              <code>{seg.exception}</code>
            </p>
            <ol className="frames">
              {shown.map((f, j) => {
                const span = spanOf(f, spans, service);
                return (
                  <li key={j} className={f.inApp ? "frame in-app" : "frame"} data-testid={f.inApp ? "app-frame" : "library-frame"}>
                    <div className="frame-head">
                      <code className="func">{f.func}</code>
                      <span className="muted"> {f.inApp ? f.file : f.module || f.file}{f.line !== null ? `:${f.line}` : ""}</span>
                      {span && <button className="link small" onClick={() => onSpan(span.span_id)} data-testid="frame-span">span: {span.name} ↘</button>}
                    </div>
                    {f.code && <pre className="context">{f.code}</pre>}
                  </li>
                );
              })}
              {shown.length === 0 && <li className="muted small">No frame of the application's own code (library frames only).</li>}
            </ol>
          </div>
        );
      })}
      {libraryCount > 0 && (
        <button className="ghost small" onClick={() => setLibraries(!libraries)} data-testid="library-toggle">
          {libraries ? "Hide library frames" : `Show ${libraryCount} library ${libraryCount === 1 ? "frame" : "frames"}`}
        </button>
      )}
    </div>
  );
}
