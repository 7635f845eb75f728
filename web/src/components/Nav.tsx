import { NavLink } from "react-router-dom";
import { api, type User } from "../api";
import { useLive } from "../live";
import { applyTheme, type Theme } from "../theme";

export function Nav({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const { unseen } = useLive();
  const toggle = () => {
    const next: Theme = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    applyTheme(next);
  };
  return (
    <nav className="nav">
      <span className="brand">● Omegi</span>
      <NavLink to="/" end data-testid="nav-dashboard">
        Dashboard{unseen && <span className="red-dot" data-testid="red-dot" title="New errors" />}
      </NavLink>
      <NavLink to="/errors">Errors</NavLink>
      <NavLink to="/notes" end>Notes</NavLink>
      <NavLink to="/notes/graph">Graph</NavLink>
      <NavLink to="/settings">Settings</NavLink>
      <span className="spacer" />
      <button className="ghost" onClick={toggle} title="Light / dark" data-testid="theme-toggle">◐</button>
      <span className="muted">{user.username}</span>
      <button className="ghost" onClick={() => api.logout().then(onSignedOut)}>Sign out</button>
    </nav>
  );
}
