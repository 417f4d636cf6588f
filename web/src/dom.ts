// Tiny DOM helpers: the dashboard builds its pages with plain elements.

export type Child = Node | string | number | null | undefined | false | Child[];

type Attrs = Record<string, unknown>;

/** h creates an element: on* attributes holding functions become listeners, booleans toggle attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key === "value" && "value" in el) {
      (el as unknown as HTMLInputElement).value = String(value);
    } else if (key === "checked") {
      (el as unknown as HTMLInputElement).checked = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** replace sets the children of el. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** age says how long ago an RFC 3339 time was, as kubectl does. */
export function age(time?: string): string {
  if (!time) return "";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** yaml renders a JSON value as YAML, for reading manifests. */
export function yaml(value: unknown, indent = ""): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return value.map((item) => `\n${indent}- ${yaml(item, indent + "  ").replace(/^\n\s*/, "")}`).join("");
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return entries.map(([key, item]) => {
      const rendered = yaml(item, indent + "  ");
      const scalar = !rendered.startsWith("\n");
      return `\n${indent}${key}:${scalar ? " " : ""}${rendered}`;
    }).join("");
  }
  if (typeof value === "string") {
    if (value.includes("\n")) return "|\n" + value.replace(/\n$/, "").split("\n").map((line) => indent + line).join("\n");
    return /^[\w./:@-][\w ./:@=,-]*$/.test(value) && !/^(true|false|null|yes|no|[\d.]+)$/i.test(value) ? value : JSON.stringify(value);
  }
  return String(value);
}

/** toYAML is yaml of a whole document, without the leading newline. */
export function toYAML(value: unknown): string {
  return yaml(value).replace(/^\n/, "") + "\n";
}
