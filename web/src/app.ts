// The application page: status, actions, the streaming operation state,
// the resource tree and, below, the panel the user opened (a resource's
// detail, the diff or the history).

import { age, h, replace, toYAML } from "./dom";
import { get, group, apiRoot, post, watch } from "./api";
import { loadTree as fetchTree, readLive, refresh } from "./actions";
import type { Application, ApplicationDiff, ResourceStatus, Tree, TreeNode } from "./types";
import { actionButton, badge, banner, keyOf } from "./widgets";
import { diffView } from "./diffview";
import { openDelete, openRollback, openSync } from "./dialogs";

type Panel = { kind: "none" } | { kind: "diff" } | { kind: "history" } | { kind: "resource"; node: TreeNode; tab: string };

/** renderApplication shows the page of namespace/name in main; it returns the function that stops its watch. */
export function renderApplication(main: HTMLElement, namespace: string, name: string): () => void {
  const path = `${group}/namespaces/${namespace}/applications/${name}`;
  let app: Application | undefined;
  let tree: Tree | undefined;
  let error: unknown = null;
  let notice = "";
  let panel: Panel = { kind: "none" };
  let treeLoadedFor = "";
  let treeTimer: number | undefined;

  const title = h("h1", null, name);
  const summary = h("div", { class: "summary" });
  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Application actions" });
  const messages = h("div");
  const operation = h("section", { class: "operation", "aria-labelledby": "operation-title", "aria-live": "polite" });
  const treeSection = h("section", { class: "tree", "aria-labelledby": "tree-title" });
  const panelSection = h("section", { class: "panel", tabindex: "-1" });
  replace(main, h("p", null, h("a", { href: "#/" }, "← Applications")), title, summary, toolbar, messages, operation, treeSection, panelSection);

  const report = (err: unknown) => { error = err; renderMessages(); };
  const say = (message: string) => { notice = message; error = null; renderMessages(); };
  const renderMessages = () => replace(messages, banner(error), notice && !error ? h("div", { class: "notice", role: "status" }, notice) : null);

  const renderSummary = () => {
    if (!app) return;
    const source = app.spec.source ?? app.spec.sources?.[0] ?? {};
    const destination = app.spec.destination;
    replace(title, app.metadata.name, " ", badge("sync", app.status?.sync?.status), " ", badge("health", app.status?.health?.status));
    const row = (term: string, ...value: (string | Node)[]) => [h("dt", null, term), h("dd", null, ...value)];
    replace(summary, h("dl", null,
      row("Namespace", namespace),
      row("Project", h("a", { href: `#/project/${app.spec.project}` }, app.spec.project)),
      row("Source", `${source.repoURL ?? ""} ${source.path ?? source.chart ?? ""} @ ${source.targetRevision ?? "HEAD"}`),
      row("Destination", `${destination.server ?? destination.name ?? ""} ${destination.namespace ?? ""}`),
      row("Revision", h("span", { class: "mono" }, app.status?.sync?.revision ?? "")),
      row("Sync policy", app.spec.syncPolicy?.automated ? "Automated" : "Manual"),
      (app.status?.conditions ?? []).map((c) => row(c.type, c.message ?? "")),
    ));
  };

  const running = () => app?.status?.operationState?.phase === "Running" || app?.status?.operationState?.phase === "Terminating";

  const renderToolbar = () => {
    if (!app) return;
    const current = app;
    replace(toolbar,
      h("button", { type: "button", class: "primary", "data-action": "sync", onclick: () => openSync(current, say) }, "Sync"),
      actionButton("Refresh", () => refresh(current, false).then(() => say("Refresh requested")), report, { "data-action": "refresh" }),
      actionButton("Hard refresh", () => refresh(current, true).then(() => say("Hard refresh requested")), report, { "data-action": "hard-refresh" }),
      h("button", { type: "button", "data-action": "diff", onclick: () => open({ kind: "diff" }) }, "Diff"),
      h("button", { type: "button", "data-action": "history", onclick: () => open({ kind: "history" }) }, "History and rollback"),
      actionButton("Terminate", () => post(`${path}/terminate`, { apiVersion: "capstan.dev/v1alpha1", kind: "ApplicationTerminateRequest" })
        .then(() => say("Termination requested")), report, { disabled: !running(), "data-action": "terminate" }),
      h("button", { type: "button", class: "danger", "data-action": "delete", onclick: () => openDelete(current, (m) => { say(m); location.hash = "#/"; }) }, "Delete"));
  };

  const renderOperation = () => {
    const state = app?.status?.operationState;
    if (!state) { replace(operation, h("h2", { id: "operation-title" }, "Last operation"), h("p", null, "None yet.")); return; }
    const results = state.syncResult?.resources ?? [];
    replace(operation, h("h2", { id: "operation-title" }, "Last operation ", badge("phase", state.phase)),
      h("p", { class: "op-message" }, state.message ?? ""),
      h("p", { class: "muted" }, `Started ${age(state.startedAt)} ago`, state.finishedAt ? `, finished ${age(state.finishedAt)} ago` : "",
        state.syncResult?.revision ? ` — revision ${state.syncResult.revision.slice(0, 7)}` : ""),
      results.length ? h("table", { class: "results" },
        h("thead", null, h("tr", null, ["Phase", "Resource", "Result", "Hook", "Message"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, results.map((r) => h("tr", null, h("td", null, r.syncPhase ?? ""), h("td", null, keyOf(r)),
          h("td", null, badge("phase", r.status)), h("td", null, r.hookType ? `${r.hookType} ${r.hookPhase ?? ""}` : ""),
          h("td", null, r.message ?? ""))))) : null);
  };

  const statusOf = (node: TreeNode): ResourceStatus | undefined => (app?.status?.resources ?? []).find((r) =>
    (r.group ?? "") === (node.group ?? "") && r.kind === node.kind && (r.namespace ?? "") === (node.namespace ?? "") && r.name === node.name);

  const treeNode = (node: TreeNode): HTMLElement => {
    // A managed resource's sync status and health come from the Application as
    // watched, which is newer than the tree.
    const status = node.managed ? statusOf(node) : undefined;
    const sync = node.requiresPruning || status?.requiresPruning ? "RequiresPruning" : status?.status ?? node.status;
    const health = status ? status.health : node.health;
    const children = node.children ?? [];
    return h("li", { "data-kind": node.kind, "data-name": node.name },
      h("button", {
        type: "button", class: `node${node.managed ? " managed" : ""}`, onclick: () => open({ kind: "resource", node, tab: "live" }),
        "aria-label": `${node.kind} ${node.name}${node.managed ? ", " + (sync ?? "") : ""}, ${health?.status ?? "no health"}`,
      },
      h("span", { class: "kind" }, node.kind), " ", h("span", { class: "name" }, node.name), " ",
      health?.status ? badge("health", health.status) : null, " ",
      node.managed ? badge("sync", sync) : null,
      status?.syncWave ? h("span", { class: "tag" }, `wave ${status.syncWave}`) : null,
      status?.hook ? h("span", { class: "tag hook" }, "hook") : null),
      children.length ? h("ul", null, children.map(treeNode)) : null);
  };

  const renderTree = () => {
    const nodes = tree?.nodes ?? [];
    // Hooks are not in the live tree once deleted, but status lists them.
    replace(treeSection, h("h2", { id: "tree-title" }, "Resources"),
      (tree?.warnings ?? []).map((w) => h("p", { class: "warning" }, w)),
      nodes.length ? h("ul", { class: "tree-root", "aria-label": "Resource tree" }, nodes.map(treeNode)) : h("p", null, tree ? "No resources." : "Loading…"));
  };

  const loadTree = async () => {
    try {
      if (app) tree = await fetchTree(app);
    } catch (err) {
      report(err);
    }
    renderTree();
  };

  // The tree follows the Application: reload it when its status changed, at most every 2 s.
  const scheduleTree = () => {
    const version = app?.metadata.resourceVersion ?? "";
    if (version === treeLoadedFor || treeTimer !== undefined) return;
    treeTimer = window.setTimeout(() => { treeTimer = undefined; treeLoadedFor = app?.metadata.resourceVersion ?? ""; void loadTree(); },
      treeLoadedFor === "" ? 0 : 2000);
  };

  const open = (next: Panel) => { panel = next; void renderPanel(); panelSection.focus(); };

  const renderPanel = async () => {
    if (!app) return;
    const current = app;
    const close = h("button", { type: "button", onclick: () => open({ kind: "none" }) }, "Close");
    try {
      switch (panel.kind) {
        case "none":
          replace(panelSection);
          return;
        case "diff": {
          replace(panelSection, h("h2", null, "Diff"), h("p", null, "Loading…"));
          const diff = await get<ApplicationDiff>(`${path}/diff`);
          replace(panelSection, h("h2", null, "Diff"), close, diffView(diff.items ?? []));
          return;
        }
        case "history": {
          const entries = [...(current.status?.history ?? [])].reverse();
          replace(panelSection, h("h2", null, "History"), close, entries.length === 0 ? h("p", null, "Nothing deployed yet.") :
            h("table", { class: "history" },
              h("thead", null, h("tr", null, ["ID", "Revision", "Deployed", "Path", ""].map((c) => h("th", { scope: "col" }, c)))),
              h("tbody", null, entries.map((entry) => h("tr", { "data-history-id": String(entry.id), "data-revision": entry.revision ?? "" },
                h("td", null, String(entry.id)), h("td", { class: "mono" }, entry.revision ?? ""),
                h("td", null, entry.deployedAt ? `${age(entry.deployedAt)} ago` : ""), h("td", null, entry.source?.path ?? ""),
                h("td", null, h("button", { type: "button", onclick: () => openRollback(current, entry, say) }, `Roll back to ${entry.id}`)))))));
          return;
        }
        case "resource":
          await renderResource(panel.node, panel.tab, close);
      }
    } catch (err) {
      replace(panelSection, close, banner(err));
    }
  };

  const renderResource = async (node: TreeNode, tab: string, close: HTMLElement) => {
    if (!app) return;
    const current = app;
    const tabs = ["live", "desired", "diff", "events"];
    const header = [h("h2", null, `${node.kind} ${(node.namespace ?? "") ? (node.namespace ?? "") + "/" : ""}${node.name}`), close,
      h("div", { class: "toolbar", role: "group", "aria-label": "Resource views" }, tabs.map((t) => h("button", {
        type: "button", "aria-pressed": String(t === tab), onclick: () => open({ kind: "resource", node, tab: t }),
      }, t[0].toUpperCase() + t.slice(1))))];
    replace(panelSection, header, h("p", null, "Loading…"));
    let content: Node;
    if (tab === "live") {
      content = h("pre", { class: "manifest" }, toYAML(await readLive(current, node)));
    } else if (tab === "events") {
      const selector = `involvedObject.name=${node.name},involvedObject.kind=${node.kind}`;
      const events = await get<{ items: { type: string; reason: string; message: string; lastTimestamp?: string; eventTime?: string; count?: number }[] }>(
        `${apiRoot}/api/v1/namespaces/${(node.namespace ?? "") || namespace}/events?fieldSelector=${encodeURIComponent(selector)}`);
      content = events.items.length === 0 ? h("p", null, "No events.") : h("table", { class: "events" },
        h("thead", null, h("tr", null, ["Type", "Reason", "Age", "Message"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, events.items.map((e) => h("tr", null, h("td", null, e.type), h("td", null, e.reason),
          h("td", null, age(e.lastTimestamp ?? e.eventTime)), h("td", null, e.message)))));
    } else {
      const diff = await get<ApplicationDiff>(`${path}/diff`);
      const item = (diff.items ?? []).find((i) => (i.group ?? "") === (node.group ?? "") && i.kind === node.kind && (i.namespace ?? "") === (node.namespace ?? "") && i.name === node.name);
      if (!item) content = h("p", null, node.managed ? "Not in the diff." : `${node.kind} ${node.name} is not managed: it is owned by a managed resource, so it has no desired state.`);
      else if (tab === "desired") content = item.target ? h("pre", { class: "manifest" }, toYAML(item.target)) : h("p", null, "Not in the desired state (it requires pruning).");
      else content = diffView([item]);
    }
    if (panel.kind === "resource" && panel.node === node && panel.tab === tab) replace(panelSection, header, content);
  };

  renderTree();
  const stop = watch<Application>(`${path.replace(/\/applications\/[^/]+$/, "/applications")}?fieldSelector=${encodeURIComponent("metadata.name=" + name)}`, {
    reset(items) { app = items[0]; afterChange(); },
    change(type, obj) { app = type === "DELETED" ? undefined : obj; afterChange(); },
    error(err) { report(err); },
  });
  const afterChange = () => {
    if (!app) { replace(summary, h("p", null, `Application ${namespace}/${name} does not exist (any more).`)); replace(toolbar); return; }
    renderSummary();
    renderToolbar();
    renderOperation();
    if (tree) renderTree();
    scheduleTree();
    if (panel.kind === "history") void renderPanel();
  };
  return () => { stop(); window.clearTimeout(treeTimer) };
}
