// Capstan's dashboard: a hash-routed single page over the backend of
// `kubectl capstan dashboard`.

import { renderList } from "./list";
import { renderApplication } from "./app";
import { renderApplicationSets, renderProject, renderProjects } from "./sets";

let stop: (() => void) | undefined;

function route(): void {
  stop?.();
  stop = undefined;
  const main = document.getElementById("main")!;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  document.querySelectorAll("header nav a").forEach((a) => a.removeAttribute("aria-current"));
  const current = (href: string) => document.querySelector(`header nav a[href="${href}"]`)?.setAttribute("aria-current", "page");
  if (parts[0] === "app" && parts.length === 3) {
    stop = renderApplication(main, parts[1], parts[2]);
    document.title = `${parts[2]} — Capstan`;
    current("#/");
  } else if (parts[0] === "applicationsets") {
    stop = renderApplicationSets(main);
    document.title = "ApplicationSets — Capstan";
    current("#/applicationsets");
  } else if (parts[0] === "projects") {
    void renderProjects(main);
    document.title = "Projects — Capstan";
    current("#/projects");
  } else if (parts[0] === "project" && parts.length === 2) {
    void renderProject(main, parts[1]);
    document.title = `Project ${parts[1]} — Capstan`;
    current("#/projects");
  } else {
    stop = renderList(main, new URLSearchParams(query ?? ""));
    document.title = "Applications — Capstan";
    current("#/");
  }
}

window.addEventListener("hashchange", route);
route();
