import { createContext, useContext, type ComponentProps } from "react";
import ReactMarkdown, { type Components, type ExtraProps } from "react-markdown";
import { Link } from "react-router-dom";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";
import { remarkNoteSyntax, type WikilinkTargets } from "../markdown/noteSyntax";
import { toggleTask } from "../markdown/tasks";

// Task boxes are drawn deep inside the rendered tree; these contexts hand them the toggle (when
// the reader may edit) and the source offset of their own list item.
const TaskToggle = createContext<((offset: number) => void) | undefined>(undefined);
const TaskOffset = createContext<number | null>(null);

/** Paths of this app open in place; anything else (other sites, footnotes) is a plain link. */
function AppLink(props: ComponentProps<"a"> & ExtraProps) {
  const { node, href, ...rest } = props;
  void node; // the Markdown tree's element: not an attribute
  if (href?.startsWith("/") && !href.startsWith("//")) return <Link to={href} {...rest} />;
  return <a href={href} {...rest} />;
}

/** A list item; a task item tells its box where it starts in the source. */
function ListItem({ node, children, ...rest }: ComponentProps<"li"> & ExtraProps) {
  const offset = rest.className?.includes("task-list-item") ? (node?.position?.start.offset ?? null) : null;
  if (offset === null) return <li {...rest}>{children}</li>;
  return <li {...rest}><TaskOffset.Provider value={offset}>{children}</TaskOffset.Provider></li>;
}

/** A task's box: live when the reader may edit the note, otherwise shown but disabled. */
function TaskBox({ type, checked }: ComponentProps<"input">) {
  const toggle = useContext(TaskToggle);
  const offset = useContext(TaskOffset);
  if (type !== "checkbox") return null;
  if (!toggle || offset === null) return <input type="checkbox" checked={!!checked} disabled />;
  return <input type="checkbox" checked={!!checked} onChange={() => toggle(offset)} />;
}

const components: Components = { a: AppLink, li: ListItem, input: TaskBox };

/**
 * Renders Markdown the way notes are written: GitHub's tables, task lists and strikethrough,
 * highlighted code blocks (only when a language is named: guessing is slow and often wrong),
 * `[[wikilinks]]` and `#tags`. Safe on hostile text: raw HTML in the source is shown as text,
 * never parsed, and link URLs with scripting schemes are dropped (react-markdown's defaults,
 * kept on purpose: no rehype-raw).
 *
 * `wikilinks` says which note each `[[label]]` opens; without it they are marked but not
 * links. With `onTaskToggle`, ticking a task box calls it with the source so edited.
 */
export function Markdown({ text, wikilinks, onTaskToggle }: { text: string; wikilinks?: WikilinkTargets; onTaskToggle?: (next: string) => void }) {
  const toggle = onTaskToggle && ((offset: number) => {
    const next = toggleTask(text, offset);
    if (next !== null) onTaskToggle(next);
  });
  return (
    <div className="markdown">
      <TaskToggle.Provider value={toggle}>
        <ReactMarkdown remarkPlugins={[remarkGfm, [remarkNoteSyntax, { wikilinks }]]} rehypePlugins={[rehypeHighlight]} components={components}>
          {text}
        </ReactMarkdown>
      </TaskToggle.Provider>
    </div>
  );
}
