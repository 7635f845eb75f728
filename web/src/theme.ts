// Light and dark themes: the system's choice until the user picks one, remembered locally.
export type Theme = "light" | "dark";

export function initialTheme(): Theme {
  const saved = localStorage.getItem("omegi-theme");
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(theme: Theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem("omegi-theme", theme);
}
