import { useEffect, useState, type FormEvent } from "react";
import { api, ApiError, type Providers, type User } from "../api";

export function Landing({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const [providers, setProviders] = useState<Providers | null>(null);
  const [mode, setMode] = useState<"login" | "signup">("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    api.providers().then(setProviders, () => setProviders({ github: false, signup_open: false }));
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    try {
      onSignedIn(await (mode === "login" ? api.login(username, password) : api.signup(username, password)));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <div className="landing">
      <section className="pitch">
        <h1>● Omegi</h1>
        <p className="lead">Error tracking for distributed systems, with the team's knowledge of how each error was solved right beside it.</p>
        <ul>
          <li>Send OpenTelemetry traces from any language; every failure becomes an error with its whole cross-service flow.</li>
          <li>See services with unresolved errors turn red on a live service map.</li>
          <li>Write error notes and general notes in Markdown, link them, tag them, and find them again when the error comes back.</li>
        </ul>
      </section>
      <form className="card signin" onSubmit={submit}>
        <div className="tabs">
          <button type="button" className={mode === "login" ? "active" : ""} onClick={() => setMode("login")}>Sign in</button>
          {providers?.signup_open && (
            <button type="button" className={mode === "signup" ? "active" : ""} onClick={() => setMode("signup")}>Sign up</button>
          )}
        </div>
        <label>Username<input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} /></label>
        <label>Password<input name="password" type="password" autoComplete={mode === "login" ? "current-password" : "new-password"} value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        {error && <p className="error-text" role="alert">{error}</p>}
        <button type="submit" className="primary">{mode === "login" ? "Sign in" : "Create account"}</button>
        {providers?.github && <a className="button github" href="/api/auth/github/login">Sign in with GitHub</a>}
      </form>
    </div>
  );
}
