// The dialogs that change an Application: sync, rollback and delete. Each
// sends the user's own request and shows the API's message when it is
// refused.

import { h, replace } from "./dom";
import { group, post } from "./api";
import { remove } from "./actions";
import type { Application, History } from "./types";
import { banner, checkbox, keyOf, labelled, modal } from "./widgets";

const syncOptions = ["CreateNamespace=true", "ServerSideApply=true", "ApplyOutOfSyncOnly=true", "PruneLast=true", "Replace=true", "Validate=false"];

function appPath(app: Application): string {
  return `${group}/namespaces/${app.metadata.namespace}/applications/${app.metadata.name}`;
}

function checked(form: HTMLFormElement, name: string): boolean {
  return (form.elements.namedItem(name) as HTMLInputElement | null)?.checked ?? false;
}

/** submitting runs send on submit and closes the dialog, or shows the error in it. */
function submitting(form: HTMLFormElement, errorSlot: HTMLElement, close: () => void, send: () => Promise<unknown>, done: () => void): void {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      await send();
      close();
      done();
    } catch (err) {
      replace(errorSlot, banner(err));
      (errorSlot.firstElementChild as HTMLElement | null)?.focus();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
}

function actions(submit: string, close: () => void): HTMLElement {
  return h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, submit),
    h("button", { type: "button", onclick: close }, "Cancel"));
}

/** openSync asks for the sync's revision, prune, dry run, options and resources, then posts applications/sync. */
export function openSync(app: Application, done: (message: string) => void): void {
  modal(`Sync ${app.metadata.name}`, (close) => {
    const errorSlot = h("div", { tabindex: "-1" });
    const resources = (app.status?.resources ?? []).filter((r) => !r.hook);
    const form = h("form", { class: "sync-form" }, errorSlot,
      labelled("Revision", h("input", { name: "revision", value: app.spec.source?.targetRevision ?? "", autocomplete: "off" }), "sync-revision"),
      h("fieldset", null, h("legend", null, "Options"), checkbox("Prune", "prune"), checkbox("Dry run", "dryRun"),
        syncOptions.map((option) => checkbox(option, "option:" + option))),
      resources.length ? h("fieldset", { class: "resources" }, h("legend", null, "Resources"),
        resources.map((r, i) => checkbox(keyOf(r), "resource:" + i, true))) : null,
      actions("Synchronize", close));
    submitting(form, errorSlot, close, () => {
      const selected = resources.filter((_, i) => checked(form, "resource:" + i));
      const spec: Record<string, unknown> = {
        revision: (form.elements.namedItem("revision") as HTMLInputElement).value.trim() || undefined,
        prune: checked(form, "prune"), dryRun: checked(form, "dryRun"),
        syncOptions: syncOptions.filter((o) => checked(form, "option:" + o)),
      };
      if (selected.length !== resources.length) {
        spec.resources = selected.map((r) => ({ group: r.group ?? "", kind: r.kind, namespace: r.namespace, name: r.name }));
      }
      return post(`${appPath(app)}/sync`, { apiVersion: "capstan.dev/v1alpha1", kind: "ApplicationSyncRequest", spec });
    }, () => done("Sync requested"));
    return form;
  });
}

/** openRollback confirms a rollback to a history entry, then posts applications/rollback. */
export function openRollback(app: Application, entry: History, done: (message: string) => void): void {
  modal(`Roll back ${app.metadata.name} to ${entry.id}`, (close) => {
    const errorSlot = h("div", { tabindex: "-1" });
    const form = h("form", null, errorSlot,
      h("p", null, `Deploy revision ${entry.revision ?? ""} again, as it was deployed${entry.deployedAt ? " at " + entry.deployedAt : ""}.`),
      checkbox("Prune", "prune"), checkbox("Dry run", "dryRun"), actions("Roll back", close));
    submitting(form, errorSlot, close, () => post(`${appPath(app)}/rollback`, {
      apiVersion: "capstan.dev/v1alpha1", kind: "ApplicationRollbackRequest", id: entry.id, prune: checked(form, "prune"), dryRun: checked(form, "dryRun"),
    }), () => done(`Rollback to ${entry.id} requested`));
    return form;
  });
}

/** openDelete asks what happens to the managed objects, and the name as confirmation, then deletes. */
export function openDelete(app: Application, done: (message: string) => void): void {
  modal(`Delete ${app.metadata.name}`, (close) => {
    const errorSlot = h("div", { tabindex: "-1" });
    const choice = (value: string, label: string, checkedByDefault = false) =>
      h("label", { class: "check" }, h("input", { type: "radio", name: "cascade", value, checked: checkedByDefault }), " ", label);
    const confirm = h("input", { name: "confirm", autocomplete: "off", required: true });
    const form = h("form", null, errorSlot,
      h("fieldset", null, h("legend", null, "The objects it manages"),
        choice("foreground", "Delete them first (foreground)", true), choice("background", "Delete them in the background"),
        choice("orphan", "Leave them in the cluster (orphan)")),
      labelled(`Type ${app.metadata.name} to confirm`, confirm, "delete-confirm"), actions("Delete", close));
    submitting(form, errorSlot, close, async () => {
      if (confirm.value !== app.metadata.name) throw new Error(`Type the name ${app.metadata.name} to confirm.`);
      const cascade = (form.elements.namedItem("cascade") as RadioNodeList).value;
      return remove(app, cascade);
    }, () => done("Deleted"));
    return form;
  });
}
