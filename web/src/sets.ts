// ApplicationSets with their preview, and AppProjects with their rules and
// sync windows.

import { h, replace, toYAML } from "./dom";
import { get, group, watch } from "./api";
import type { AppProject, ApplicationSet } from "./types";
import { banner } from "./widgets";

interface Preview { items?: { name: string; action: string; message?: string; diff?: string }[] }

/** renderApplicationSets lists the ApplicationSets live; Preview shows what their generators produce now. */
export function renderApplicationSets(main: HTMLElement): () => void {
  const sets = new Map<string, ApplicationSet>();
  const errorSlot = h("div");
  const body = h("div");
  const previewSlot = h("section", { class: "panel", tabindex: "-1", "aria-live": "polite" });
  replace(main, h("h1", null, "ApplicationSets"), errorSlot, body, previewSlot);
  const preview = async (set: ApplicationSet) => {
    const title = h("h2", null, `Preview of ${set.metadata.namespace}/${set.metadata.name}`);
    replace(previewSlot, title, h("p", null, "Loading…"));
    previewSlot.focus();
    try {
      const result = await get<Preview>(`${group}/namespaces/${set.metadata.namespace}/applicationsets/${set.metadata.name}/preview`);
      const items = result.items ?? [];
      replace(previewSlot, title, items.length === 0 ? h("p", null, "Its generators produce no Application.") : h("table", { class: "preview" },
        h("thead", null, h("tr", null, ["Application", "Action", "Message"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, items.map((i) => h("tr", null, h("td", null, i.name), h("td", null, i.action),
          h("td", null, i.message ?? "", i.diff ? h("details", null, h("summary", null, "Diff"), h("pre", { class: "diff" }, i.diff)) : null))))));
    } catch (err) {
      replace(previewSlot, title, banner(err));
    }
  };
  const render = () => {
    const all = [...sets.values()].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    replace(body, all.length === 0 ? h("p", null, "No ApplicationSets.") : h("table", null,
      h("thead", null, h("tr", null, ["Namespace", "Name", "Conditions", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, all.map((set) => h("tr", { "data-appset": `${set.metadata.namespace}/${set.metadata.name}` }, h("td", null, set.metadata.namespace ?? ""), h("td", null, set.metadata.name),
        h("td", null, (set.status?.conditions ?? []).filter((c) => c.status === "True").map((c) => h("span", { class: "tag", title: c.message ?? "" }, c.type))),
        h("td", null, h("button", { type: "button", onclick: () => void preview(set) }, "Preview")))))));
  };
  return watch<ApplicationSet>(`${group}/applicationsets`, {
    reset(items) { sets.clear(); for (const s of items) sets.set(`${s.metadata.namespace}/${s.metadata.name}`, s); replace(errorSlot); render(); },
    change(type, s) { const key = `${s.metadata.namespace}/${s.metadata.name}`; if (type === "DELETED") sets.delete(key); else sets.set(key, s); render(); },
    error(err) { replace(errorSlot, banner(err)); },
  });
}

/** renderProjects lists the AppProjects. */
export async function renderProjects(main: HTMLElement): Promise<void> {
  replace(main, h("h1", null, "Projects"), h("p", null, "Loading…"));
  try {
    const list = await get<{ items: AppProject[] }>(`${group}/appprojects`);
    replace(main, h("h1", null, "Projects"), h("ul", { class: "plain" }, list.items.map((p) =>
      h("li", null, h("a", { href: `#/project/${p.metadata.name}` }, p.metadata.name), p.spec.description ? ` — ${p.spec.description}` : ""))));
  } catch (err) {
    replace(main, h("h1", null, "Projects"), banner(err));
  }
}

/** renderProject shows one AppProject: its rules and its sync windows. */
export async function renderProject(main: HTMLElement, name: string): Promise<void> {
  replace(main, h("h1", null, `Project ${name}`), h("p", null, "Loading…"));
  try {
    const project = await get<AppProject>(`${group}/appprojects/${name}`);
    const { syncWindows, description, ...rules } = project.spec;
    const windows = syncWindows ?? [];
    replace(main, h("p", null, h("a", { href: "#/projects" }, "← Projects")), h("h1", null, `Project ${name}`),
      description ? h("p", null, description) : null,
      h("h2", null, "Rules"), h("dl", { class: "rules" }, Object.entries(rules).map(([key, value]) =>
        [h("dt", null, key), h("dd", null, h("pre", null, toYAML(value)))])),
      h("h2", null, "Sync windows"), windows.length === 0 ? h("p", null, "None: syncs are allowed at any time.") : h("table", null,
        h("thead", null, h("tr", null, ["Kind", "Schedule", "Duration", "Time zone", "Applications", "Namespaces", "Clusters", "Manual sync"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, windows.map((w) => h("tr", null, h("td", null, w.kind), h("td", { class: "mono" }, w.schedule), h("td", null, w.duration),
          h("td", null, w.timeZone ?? ""), h("td", null, (w.applications ?? []).join(", ")), h("td", null, (w.namespaces ?? []).join(", ")),
          h("td", null, (w.clusters ?? []).join(", ")), h("td", null, w.manualSync ? "allowed" : "denied"))))));
  } catch (err) {
    replace(main, h("h1", null, `Project ${name}`), banner(err));
  }
}
