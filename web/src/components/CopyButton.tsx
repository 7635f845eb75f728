import { useState } from "react";

/** Copies `text` to the clipboard. The Clipboard API exists only on https and localhost; on a
 * plain-http Omegi the old way (a selected text area and the copy command) still works. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back below */
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  return done;
}

/** A Copy button that says whether it worked. */
export function CopyButton({ text, className = "ghost small", label = "Copy", testId }: { text: string; className?: string; label?: string; testId?: string }) {
  const [state, setState] = useState<"" | "Copied" | "Select and copy by hand">("");
  return (
    <button type="button" className={className} data-testid={testId} onClick={() => copyText(text).then((ok) => setState(ok ? "Copied" : "Select and copy by hand"))}>
      {state || label}
    </button>
  );
}
