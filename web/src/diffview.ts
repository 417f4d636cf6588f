// The diff of an Application, from applications/diff: unified or side by
// side, one section per resource that differs.

import { h, replace } from "./dom";
import type { ResourceDiff } from "./types";
import { badge, keyOf } from "./widgets";

type Kind = "add" | "del" | "ctx" | "hunk" | "empty";
interface Cell { text: string; kind: Kind }

function lineKind(line: string): Kind {
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "ctx";
}

function diffLines(diff: string): string[] {
  return diff.replace(/\n$/, "").split("\n").filter((l) => !l.startsWith("+++ ") && !l.startsWith("--- "));
}

/** unified renders a unified diff with its lines marked as added or removed. */
export function unified(diff: string): HTMLElement {
  return h("pre", { class: "diff unified" }, diffLines(diff).map((line) => {
    const kind = lineKind(line);
    return h("span", { class: `line ${kind}` }, kind === "add" ? h("span", { class: "sr-only" }, "added: ") : null,
      kind === "del" ? h("span", { class: "sr-only" }, "removed: ") : null, line, "\n");
  }));
}

/** sideBySide pairs removed lines with the added lines that replace them: live on the left, desired on the right. */
export function sideBySide(diff: string): HTMLElement {
  const rows: [Cell, Cell][] = [];
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      rows.push([
        i < removed.length ? { text: removed[i].slice(1), kind: "del" } : { text: "", kind: "empty" },
        i < added.length ? { text: added[i].slice(1), kind: "add" } : { text: "", kind: "empty" },
      ]);
    }
    removed = [];
    added = [];
  };
  for (const line of diffLines(diff)) {
    const kind = lineKind(line);
    if (kind === "del") removed.push(line);
    else if (kind === "add") added.push(line);
    else {
      flush();
      const text = kind === "hunk" ? line : line.slice(1);
      rows.push([{ text, kind }, { text, kind }]);
    }
  }
  flush();
  const cell = (c: Cell) => h("td", { class: `line ${c.kind}` }, c.text);
  return h("table", { class: "diff side" },
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Live"), h("th", { scope: "col" }, "Desired"))),
    h("tbody", null, rows.map(([left, right]) => h("tr", null, cell(left), cell(right)))));
}

/** diffView shows the resources of a diff that differ, with a unified / side-by-side switch. */
export function diffView(items: ResourceDiff[]): HTMLElement {
  const differing = items.filter((item) => item.status !== "Synced" || item.diff);
  let mode: "unified" | "side" = "unified";
  const body = h("div");
  const render = () => replace(body, differing.length === 0 ? h("p", null, "No differences: every resource is synced.") :
    differing.map((item) => h("section", { class: "resource-diff", "data-resource": keyOf(item) },
      h("h3", null, keyOf(item), " ", badge("sync", item.status)),
      item.message ? h("p", null, item.message) : null,
      item.diff ? (mode === "unified" ? unified(item.diff) : sideBySide(item.diff)) : h("p", null, "No text diff."))));
  const toggle = (value: typeof mode, label: string) => h("button", {
    type: "button", "aria-pressed": String(mode === value), "data-mode": value,
    onclick: (e: Event) => {
      mode = value;
      for (const b of (e.currentTarget as HTMLElement).parentElement!.children) b.setAttribute("aria-pressed", String((b as HTMLElement).dataset.mode === mode));
      render();
    },
  }, label);
  render();
  return h("div", { class: "diff-view" }, h("div", { class: "toolbar", role: "group", "aria-label": "Diff layout" },
    toggle("unified", "Unified"), toggle("side", "Side by side")), body);
}
