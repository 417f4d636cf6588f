// Where the page reaches the Kubernetes API. Served by `kubectl capstan
// dashboard` ("local"), it calls its backend: allow-listed Kubernetes paths
// under /k8s and a few actions under /ui, each request that changes
// something with the CSRF token of the page. Served by capstan-apiserver
// ("cluster", behind `kubectl proxy` or another authenticating proxy), it
// calls the Kubernetes API through the proxy that served it, as the user.

const meta = (name: string) => document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";
const token = meta("capstan-csrf");

/** inCluster is true when capstan-apiserver served the page. */
export const inCluster = meta("capstan-mode") === "cluster";

/** dashboardPath is where capstan-apiserver serves the page (pkg/dashboard.InClusterPath). */
const dashboardPath = "/apis/capstan.dev/v1alpha1/dashboards/";

/** apiRoot is the Kubernetes API's root: the proxy's own root (with any prefix it adds) in the cluster, /k8s locally. */
export const apiRoot = inCluster ? location.pathname.slice(0, Math.max(0, location.pathname.indexOf(dashboardPath))) : "/k8s";

export const group = `${apiRoot}/apis/capstan.dev/v1alpha1`;

/** APIError is an error answered by the API, with its code and message as the API gave them. */
export class APIError extends Error {
  constructor(message: string, readonly code: number, readonly reason = "") {
    super(message);
  }
  /** describe is the text shown to people: the HTTP code and the API's own message. */
  describe(): string {
    const names: Record<number, string> = { 403: "Forbidden", 404: "Not Found", 409: "Conflict", 422: "Invalid" };
    return `${this.code}${names[this.code] ? " " + names[this.code] : ""}: ${this.message}`;
  }
}

async function failure(res: Response): Promise<APIError> {
  let message = res.statusText || `HTTP ${res.status}`;
  let reason = "";
  try {
    const status = await res.json();
    if (status && typeof status.message === "string" && status.message) message = status.message;
    if (status && typeof status.reason === "string") reason = status.reason;
  } catch {
    // not a Status: keep the HTTP status text
  }
  return new APIError(message, res.status, reason);
}

/** get reads a JSON document. */
export async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  if (!res.ok) throw await failure(res);
  return res.json() as Promise<T>;
}

/** send sends a method with a JSON body (or none) and the CSRF token. */
export async function send<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "Content-Type": contentType };
  if (token) headers["X-Capstan-CSRF"] = token;
  const res = await fetch(path, { method, headers, body: JSON.stringify(body ?? {}) });
  if (!res.ok) throw await failure(res);
  return res.json() as Promise<T>;
}

/** post sends a JSON body (or none) with the CSRF token. */
export function post<T>(path: string, body?: unknown): Promise<T> {
  return send<T>("POST", path, body);
}

/** errorText is what to show for any error. */
export function errorText(err: unknown): string {
  if (err instanceof APIError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

interface Listed<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

export interface WatchHandlers<T> {
  /** reset replaces every object, after a (re)list. */
  reset(items: T[]): void;
  /** change reports an ADDED, MODIFIED or DELETED object. */
  change(type: string, obj: T): void;
  /** error reports a failure; the watch lists again after a pause. */
  error(err: unknown): void;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * watch lists path, then follows its changes through a Kubernetes watch,
 * listing again when the watch expires; it returns a function that stops it.
 */
export function watch<T extends { metadata: { resourceVersion?: string } }>(path: string, handlers: WatchHandlers<T>): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  const separator = path.includes("?") ? "&" : "?";
  const follow = async (resourceVersion: string): Promise<void> => {
    while (!stopped) {
      controller = new AbortController();
      const url = `${path}${separator}watch=1&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      const res = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } });
      if (!res.ok || !res.body) throw await failure(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as { type: string; object: T & { code?: number; message?: string } };
          if (event.type === "ERROR") throw new APIError(event.object.message ?? "watch failed", event.object.code ?? 500);
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
          if (event.type !== "BOOKMARK") handlers.change(event.type, event.object);
        }
      }
    }
  };
  (async () => {
    while (!stopped) {
      try {
        const list = await get<Listed<T>>(path);
        if (stopped) return;
        handlers.reset(list.items ?? []);
        await follow(list.metadata.resourceVersion);
      } catch (err) {
        if (stopped) return;
        // 410 Gone: the watch is too old; list again at once.
        if (!(err instanceof APIError && err.code === 410)) {
          handlers.error(err);
          await pause(2000);
        }
      }
    }
  })();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
