// What the UI says about an error's last resolution, and how it reads the server's refusals
// of one. Pure, so the wording is tested in resolution.test.ts.

import type { ErrorResolution } from "./api";
import { ago } from "./util";

/** "by kate in release 2.3.1", leaving out what is not known. */
function byAndRelease(r: ErrorResolution, when?: string): string {
  return [r.resolved_by && `by ${r.resolved_by}`, when, r.release && `in release ${r.release}`].filter(Boolean).join(" ");
}

/** The regression banner's sentence: "Fixed before by kate 3d ago in release 2.3.1". */
export function fixedBefore(r: ErrorResolution, now: number = Date.now()): string {
  return `Fixed before ${byAndRelease(r, ago(r.resolved_at, now))}`;
}

/** What a regression toast adds: "fixed before by kate in release 2.3.1" (no time: the toast
 * is short, and the error page says when). */
export function fixedBeforeShort(r: ErrorResolution): string {
  const rest = byAndRelease(r);
  return rest ? `fixed before ${rest}` : "fixed before";
}

/** The resolve form's fields, as the server names them in its messages. */
export type ResolutionField = "cause" | "fix" | "fix_link" | "release";
const FIELDS: ResolutionField[] = ["cause", "fix", "fix_link", "release"];

/**
 * Where to show a refusal of the resolve form: the server's `invalid_field` message starts
 * with the field ("fix_link: must be an http(s) URL…"), so it goes under that input; a
 * message about the resolution as a whole ("resolution: tell the cause, the fix, or both")
 * or anything else goes above the buttons, as it was said.
 */
export function refusal(message: string): { field: ResolutionField | null; text: string } {
  const m = /^([a-z_.]+): (.*)$/s.exec(message);
  const field = m ? (m[1].replace(/^resolution\./, "") as ResolutionField) : null;
  if (m && field && FIELDS.includes(field)) return { field, text: m[2] };
  return { field: null, text: m && m[1] === "resolution" ? m[2] : message };
}
