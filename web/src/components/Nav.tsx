import { useState } from "react";
import { NavLink } from "react-router-dom";
import { api, type User } from "../api";
import { useLive } from "../live";
import { applyTheme, type Theme } from "../theme";

export function Nav({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const { unseen } = useLive();
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
        ☰<span className="visually-hidden"> Menu</span>{unseen && <span className="red-dot" title="New errors" />}
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
        <button className="ghost" onClick={toggle} title="Light / dark" data-testid="theme-toggle">◐</button>
        <span className="muted">{user.username}</span>
        <button className="ghost" onClick={() => api.logout().then(onSignedOut)}>Sign out</button>
      </div>
    </nav>
  );
}
