// Small pieces shared by the pages: status badges, the error banner, dialogs.

import { h, type Child } from "./dom";
import { errorText } from "./api";

const symbols: Record<string, string> = {
  Synced: "✔", OutOfSync: "⚠", Unknown: "?", Healthy: "♥", Progressing: "◌", Degraded: "✖", Missing: "∅",
  Suspended: "⏸", Succeeded: "✔", Failed: "✖", Error: "✖", Running: "◌", Terminating: "◌", SyncFailed: "✖", Pruned: "✂",
  PruneSkipped: "–", RequiresPruning: "✂",
};

/** badge shows a sync, health or phase status as a symbol and its word, coloured by class. */
export function badge(kind: "sync" | "health" | "phase", status?: string): HTMLElement {
  const value = status || "Unknown";
  return h("span", { class: `badge ${kind} s-${value}`, "data-status": value }, h("span", { "aria-hidden": "true" }, symbols[value] ?? "•"), " ", value);
}

/** banner shows an error as the API gave it; nothing when err is empty. */
export function banner(err: unknown): HTMLElement | null {
  if (!err) return null;
  return h("div", { class: "error", role: "alert" }, errorText(err));
}

/** modal opens a dialog with a title and content; it returns the dialog and a close function. */
export function modal(title: string, content: (close: () => void) => Child): HTMLDialogElement {
  const dialog = h("dialog", { "aria-labelledby": "dialog-title" });
  const close = () => { dialog.close(); dialog.remove(); };
  dialog.append(h("h2", { id: "dialog-title" }, title), h("div", null, content(close)));
  dialog.addEventListener("cancel", () => dialog.remove());
  document.getElementById("dialog-root")!.append(dialog);
  dialog.showModal();
  return dialog;
}

/** labelled is a form row: a label and its control. */
export function labelled(label: string, control: HTMLElement, id: string): HTMLElement {
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/** checkbox is a labelled checkbox. */
export function checkbox(label: string, name: string, checked = false): HTMLElement {
  return h("label", { class: "check" }, h("input", { type: "checkbox", name, checked }), " ", label);
}

/** actionButton runs action on click, disabling itself meanwhile and reporting an error to report. */
export function actionButton(label: string, action: () => Promise<unknown>, report: (err: unknown) => void, attrs: Record<string, unknown> = {}): HTMLButtonElement {
  const button = h("button", { type: "button", ...attrs }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      report(null);
      await action();
    } catch (err) {
      report(err);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** keyOf names a resource as kubectl does: Kind.group namespace/name. */
export function keyOf(r: { group?: string; kind: string; namespace?: string; name: string }): string {
  return `${r.kind}${r.group ? "." + r.group : ""} ${r.namespace ? r.namespace + "/" : ""}${r.name}`;
}
