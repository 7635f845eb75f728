// Where the caret of a textarea is drawn, for placing a suggestion list there. A hidden copy
// of the textarea (same box, font and wrapping) holds the text before the caret and a marker;
// the marker's place is the caret's. The technique of component/textarea-caret-position.

const COPIED = [
  "box-sizing", "width", "overflow-y", "border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
  "border-style", "padding-top", "padding-right", "padding-bottom", "padding-left", "font-style", "font-variant",
  "font-weight", "font-stretch", "font-size", "line-height", "font-family", "text-align", "text-transform",
  "text-indent", "letter-spacing", "word-spacing", "tab-size",
];

/** The caret at `index` of `area`: its top and left inside the textarea's border box (before
 * scrolling) and the line's height, in CSS pixels. */
export function caretPosition(area: HTMLTextAreaElement, index: number): { top: number; left: number; height: number } {
  const style = getComputedStyle(area);
  const mirror = document.createElement("div");
  for (const p of COPIED) mirror.style.setProperty(p, style.getPropertyValue(p));
  Object.assign(mirror.style, { position: "absolute", visibility: "hidden", top: "0", left: "-9999px", whiteSpace: "pre-wrap", overflowWrap: "break-word", height: "auto" });
  mirror.textContent = area.value.slice(0, index);
  const marker = document.createElement("span");
  // The rest of the text, so the line wraps where the textarea wraps it.
  marker.textContent = area.value.slice(index) || ".";
  mirror.appendChild(marker);
  document.body.appendChild(mirror);
  const fontSize = parseFloat(style.fontSize) || 13;
  const position = {
    top: marker.offsetTop + (parseFloat(style.borderTopWidth) || 0),
    left: marker.offsetLeft + (parseFloat(style.borderLeftWidth) || 0),
    height: parseFloat(style.lineHeight) || fontSize * 1.3,
  };
  mirror.remove();
  return position;
}
