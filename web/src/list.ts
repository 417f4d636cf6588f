// The application list: every Application the user may list, live by
// watch, filtered by project, namespace, sync, health, labels and name,
// and virtualized so thousands of rows cost only the visible ones.

import { h, replace } from "./dom";
import { APIError, group, watch } from "./api";

const defaultNamespace = document.querySelector('meta[name="capstan-namespace"]')?.getAttribute("content") ?? "";
import type { Application } from "./types";
import { badge, banner } from "./widgets";

const rowHeight = 40;

interface Filters { name: string; project: string; namespace: string; sync: string; health: string; labels: string }

/** matchesLabels tells whether labels satisfy a selector of k=v, k!=v and k terms. */
function matchesLabels(labels: Record<string, string> | undefined, selector: string): boolean {
  for (const term of selector.split(",").map((t) => t.trim()).filter(Boolean)) {
    const [key, value] = term.split(/!?=/);
    const has = labels?.[key.trim()];
    if (term.includes("!=")) { if (has === value.trim()) return false; }
    else if (term.includes("=")) { if (has !== value.trim()) return false; }
    else if (has === undefined) return false;
  }
  return true;
}

function matches(app: Application, f: Filters): boolean {
  return (!f.name || app.metadata.name.includes(f.name)) &&
    (!f.project || app.spec.project === f.project) &&
    (!f.namespace || app.metadata.namespace === f.namespace) &&
    (!f.sync || (app.status?.sync?.status ?? "Unknown") === f.sync) &&
    (!f.health || (app.status?.health?.status ?? "Unknown") === f.health) &&
    matchesLabels(app.metadata.labels, f.labels);
}

function select(label: string, id: string, values: string[], current: string, onChange: (value: string) => void): HTMLElement {
  const control = h("select", { id, onchange: (e: Event) => onChange((e.target as HTMLSelectElement).value) },
    h("option", { value: "" }, "All"), values.map((v) => h("option", { value: v, selected: v === current }, v)));
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/** renderList shows the list page in main; it returns the function that stops its watch. */
export function renderList(main: HTMLElement, params: URLSearchParams): () => void {
  const apps = new Map<string, Application>();
  const filters: Filters = {
    name: params.get("name") ?? "", project: params.get("project") ?? "", namespace: params.get("namespace") ?? "",
    sync: params.get("sync") ?? "", health: params.get("health") ?? "", labels: params.get("labels") ?? "",
  };
  let error: unknown = null;
  let visible: Application[] = [];
  const errorSlot = h("div");
  const filterBar = h("form", { class: "filters", role: "search", "aria-label": "Filter applications", onsubmit: (e: Event) => e.preventDefault() });
  const count = h("p", { class: "count", "aria-live": "polite", id: "app-count" });
  const spacer = h("div", { class: "spacer" });
  const viewport = h("div", { class: "viewport", role: "list", "aria-label": "Applications", "aria-describedby": "app-count" }, spacer);
  replace(main, h("h1", null, "Applications"), errorSlot, filterBar, count,
    h("div", { class: "row head", "aria-hidden": "true" }, h("span", null, "Name"), h("span", null, "Namespace"), h("span", null, "Project"),
      h("span", null, "Sync"), h("span", null, "Health"), h("span", null, "Revision")),
    viewport);

  const textInput = (label: string, id: string, key: "name" | "labels", placeholder: string) =>
    h("div", { class: "field" }, h("label", { for: id }, label), h("input", {
      id, type: "search", value: filters[key], placeholder, autocomplete: "off",
      oninput: (e: Event) => { filters[key] = (e.target as HTMLInputElement).value; update(); },
    }));

  const renderFilters = () => {
    const all = [...apps.values()];
    const values = (pick: (a: Application) => string | undefined, current: string) =>
      [...new Set([...all.map(pick), current].filter((v): v is string => !!v))].sort();
    const setFilter = (key: keyof Filters) => (value: string) => { filters[key] = value; update(); };
    const active = document.activeElement?.id;
    replace(filterBar,
      textInput("Name", "filter-name", "name", "guestbook"),
      select("Project", "filter-project", values((a) => a.spec.project, filters.project), filters.project, setFilter("project")),
      select("Namespace", "filter-namespace", values((a) => a.metadata.namespace, filters.namespace), filters.namespace, setFilter("namespace")),
      select("Sync", "filter-sync", ["Synced", "OutOfSync", "Unknown"], filters.sync, setFilter("sync")),
      select("Health", "filter-health", ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"], filters.health, setFilter("health")),
      textInput("Labels", "filter-labels", "labels", "team=shop"));
    if (active) (document.getElementById(active) as HTMLElement | null)?.focus();
  };

  const row = (app: Application, index: number) => {
    const ns = app.metadata.namespace ?? "";
    return h("a", {
      class: "row", role: "listitem", href: `#/app/${ns}/${app.metadata.name}`, style: `top:${index * rowHeight}px`,
      "data-app": `${ns}/${app.metadata.name}`,
    },
    h("span", { class: "name" }, app.metadata.name), h("span", null, ns), h("span", null, app.spec.project),
    h("span", null, badge("sync", app.status?.sync?.status)), h("span", null, badge("health", app.status?.health?.status)),
    h("span", { class: "mono" }, (app.status?.sync?.revision ?? "").slice(0, 7)));
  };

  const renderRows = () => {
    const first = Math.max(0, Math.floor(viewport.scrollTop / rowHeight) - 5);
    const last = Math.min(visible.length, first + Math.ceil(viewport.clientHeight / rowHeight) + 10);
    spacer.style.height = `${visible.length * rowHeight}px`;
    replace(spacer, visible.slice(first, last).map((app, i) => row(app, first + i)));
  };

  // The project and namespace choices follow the Applications seen.
  let choices = "";
  const refreshChoices = () => {
    const seen = [...new Set([...apps.values()].map((a) => `${a.spec.project}\u0000${a.metadata.namespace}`))].sort().join("\u0001");
    if (seen !== choices) { choices = seen; renderFilters(); }
  };

  let scheduled = false;
  const update = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      refreshChoices();
      const started = performance.now();
      visible = [...apps.values()].filter((a) => matches(a, filters))
        .sort((a, b) => (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") || a.metadata.name.localeCompare(b.metadata.name));
      renderRows();
      count.textContent = `${visible.length} of ${apps.size} applications${count.dataset.scope ? ` in namespace ${count.dataset.scope} (you may not list every namespace)` : ""}`;
      replace(errorSlot, banner(error));
      document.body.dataset.listRenderMs = (performance.now() - started).toFixed(1);
      const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
      history.replaceState(null, "", query ? `#/?${query}` : "#/");
    });
  };
  viewport.addEventListener("scroll", () => renderRows());
  renderFilters();

  // A user who may not list Applications in every namespace sees those of
  // the namespace filter, or of the kubeconfig's namespace.
  const everyNamespace = `${group}/applications`;
  const follow = (path: string): (() => void) => watch<Application>(path, {
    reset(items) { apps.clear(); for (const a of items) apps.set(`${a.metadata.namespace}/${a.metadata.name}`, a); error = null; update(); },
    change(type, a) {
      const key = `${a.metadata.namespace}/${a.metadata.name}`;
      if (type === "DELETED") apps.delete(key); else apps.set(key, a);
      error = null;
      update();
    },
    error(err) {
      const namespace = filters.namespace || defaultNamespace;
      if (path === everyNamespace && err instanceof APIError && err.code === 403 && namespace) {
        stop();
        stop = follow(`${group}/namespaces/${namespace}/applications`);
        count.dataset.scope = namespace;
        return;
      }
      error = err;
      update();
    },
  });
  let stop = follow(everyNamespace);
  return () => stop();
}
