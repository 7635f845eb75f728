import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Route, Routes, useLocation } from "react-router-dom";
import { api, type User } from "./api";
import { LiveProvider } from "./live";
import { UnreadProvider } from "./notifications";
import { Nav } from "./components/Nav";
import { Toasts } from "./components/Toasts";
import { Landing } from "./pages/Landing";
import { Dashboard } from "./pages/Dashboard";
import { ErrorList } from "./pages/ErrorList";
import { ErrorDetailPage } from "./pages/ErrorDetail";
import { NotesPage } from "./pages/Notes";
import { NoteGraphPage } from "./pages/NoteGraph";
import { NoteEditor } from "./pages/NoteEditor";
import { NotePage } from "./pages/NotePage";
import { NotificationsPage } from "./pages/Notifications";
import { Settings } from "./pages/Settings";
import { TracePage, TracesPage } from "./pages/Traces";
import { NotFound } from "./components/NotFound";
import { applyTheme, initialTheme } from "./theme";
import "./styles.css";

applyTheme(initialTheme());

function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const location = useLocation();
  useEffect(() => {
    api.me().then(setUser, () => setUser(null));
  }, []);
  if (user === undefined) return <div className="boot" />;
  if (user === null) {
    return (
      <Routes>
        <Route path="*" element={<Landing onSignedIn={setUser} />} />
      </Routes>
    );
  }
  return (
    <LiveProvider onDashboard={location.pathname === "/"}>
      <UnreadProvider>
        <Nav user={user} onSignedOut={() => setUser(null)} />
        <main>
          <Routes>
            <Route path="/" element={<Dashboard />} />
            <Route path="/errors" element={<ErrorList />} />
            <Route path="/errors/:id" element={<ErrorDetailPage />} />
            <Route path="/notes" element={<NotesPage user={user} />} />
            <Route path="/notes/graph" element={<NoteGraphPage user={user} />} />
            <Route path="/notes/new" element={<NoteEditor user={user} />} />
            <Route path="/notes/:id" element={<NotePage user={user} />} />
            <Route path="/notes/:id/edit" element={<NoteEditor user={user} />} />
            <Route path="/notifications" element={<NotificationsPage />} />
            <Route path="/settings" element={<Settings user={user} />} />
            <Route path="/traces" element={<TracesPage />} />
            <Route path="/traces/:id" element={<TracePage />} />
            <Route path="*" element={<NotFound what={`The page ${location.pathname}`} />} />
          </Routes>
        </main>
        <Toasts />
      </UnreadProvider>
    </LiveProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
