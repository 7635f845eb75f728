import { useState } from "react";
import { NavLink } from "react-router-dom";
import { api, type User } from "../api";
import { useLive } from "../live";
import { badge, useUnread } from "../notifications";
import { applyTheme, type Theme } from "../theme";

export function Nav({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const { unseen } = useLive();
  const unread = useUnread().count;
  // On a phone the links fold behind a menu button.
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);
  const toggle = () => {
    const next: Theme = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    applyTheme(next);
  };
  return (
    <nav className="nav">
      <span className="brand">● Omegi</span>
      <button className="ghost menu-toggle" aria-expanded={open} aria-controls="nav-links" onClick={() => setOpen(!open)} data-testid="menu-toggle">
        ☰<span className="visually-hidden"> Menu</span>{(unseen || unread > 0) && <span className="red-dot" title={unseen ? "New errors" : "Unread notifications"} />}
      </button>
      <div id="nav-links" className={open ? "links open" : "links"}>
        <NavLink to="/" end data-testid="nav-dashboard" onClick={close}>
          Dashboard{unseen && <span className="red-dot" data-testid="red-dot" title="New errors" />}
        </NavLink>
        <NavLink to="/errors" onClick={close}>Errors</NavLink>
        <NavLink to="/traces" onClick={close}>Traces</NavLink>
        <NavLink to="/notes" end onClick={close}>Notes</NavLink>
        <NavLink to="/notes/graph" onClick={close}>Graph</NavLink>
        <NavLink to="/settings" onClick={close}>Settings</NavLink>
        <span className="spacer" />
        <NavLink to="/notifications" onClick={close} className="bell" data-testid="nav-notifications"
          aria-label={unread > 0 ? `Notifications, ${unread} unread` : "Notifications"} title="Comments on your notes and mentions of you">
          <BellIcon />
          <span className="bell-label">Notifications</span>
          {unread > 0 && <span className="count-badge" data-testid="notifications-count">{badge(unread)}</span>}
        </NavLink>
        <button className="ghost" onClick={toggle} title="Light / dark" data-testid="theme-toggle">◐</button>
        <span className="muted">{user.username}</span>
        <button className="ghost" onClick={() => api.logout().then(onSignedOut)}>Sign out</button>
      </div>
    </nav>
  );
}

function BellIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
      <path d="M12 3.5a5.5 5.5 0 0 0-5.5 5.5v3.6L4.8 16.2h14.4l-1.7-3.6V9A5.5 5.5 0 0 0 12 3.5zM9.8 18.6a2.3 2.3 0 0 0 4.4 0" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round" strokeLinecap="round" />
    </svg>
  );
}
