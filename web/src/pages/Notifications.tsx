import { Link } from "react-router-dom";
import { api, type Notification } from "../api";
import { useData } from "../hooks";
import { useUnread, verb } from "../notifications";
import { ago } from "../util";

/** One notification: who did what on which note, the start of the comment, and when.
 * Opening the note marks it read (a middle click too: the note is open, just in a tab). */
function Item({ n, onOpen }: { n: Notification; onOpen: () => void }) {
  return (
    <li className={n.read ? "notification" : "notification unread"} data-testid="notification" data-read={n.read}>
      <p>
        <b>{n.actor ?? "Someone"}</b> {verb(n.kind)}{" "}
        <Link to={`/notes/${n.note_id}`} onClick={onOpen} onAuxClick={onOpen}>{n.note_title}</Link>{" "}
        <span className="muted small" title={n.created_at}>{ago(n.created_at)}</span>
      </p>
      {/* The comment's first characters, as text: cut anywhere, its Markdown would not render. */}
      <blockquote className="excerpt">{n.excerpt}</blockquote>
    </li>
  );
}

/** Comments on the user's notes and `@mentions` of them, newest first. */
export function NotificationsPage() {
  const list = useData(() => api.notifications(), []);
  const unread = useUnread();
  const changed = () => {
    list.reload();
    unread.refresh();
  };
  const markAll = () => api.markNotificationsRead().then(changed);
  const open = (n: Notification) => {
    if (!n.read) api.markNotificationsRead([n.id]).then(unread.refresh, () => {});
  };
  const items = list.data?.items ?? [];
  return (
    <div className="notifications-page">
      <header className="page-head">
        <h1>Notifications</h1>
        <button onClick={markAll} disabled={!list.data || list.data.unread === 0} data-testid="mark-all-read">Mark all read</button>
      </header>
      {list.error && <p className="error-text">{list.error}</p>}
      {list.data && items.length === 0 && (
        <p className="muted">Nothing yet. You are told here when someone comments on your notes, or names you with <code>@username</code> in a comment.</p>
      )}
      {items.length > 0 && <ul className="notification-list card">{items.map((n) => <Item key={n.id} n={n} onOpen={() => open(n)} />)}</ul>}
    </div>
  );
}
