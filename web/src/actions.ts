// The actions that take more than one Kubernetes call or that Capstan
// computes: the resource tree and its live objects come from the
// Application's subresources (resourcetree and resource), computed by
// capstan-apiserver for the calling user, whichever way the page was served.
// Refresh and delete are done with the user's kubeconfig by the backend of
// `kubectl capstan dashboard` (pkg/dashboard/actions.go) and by the page
// itself through the proxy that served it in the cluster, with the same
// rules, so that every call is still the user's own request.

import { APIError, get, group, inCluster, post, send } from "./api";
import type { Application, Tree, TreeNode } from "./types";

const base = (app: Application) => `${app.metadata.namespace}/${app.metadata.name}`;
const appPath = (app: Application) => `${group}/namespaces/${app.metadata.namespace}/applications/${app.metadata.name}`;

/** loadTree is the Application's resource tree as the user may see it (GET applications/NAME/resourcetree). */
export function loadTree(app: Application): Promise<Tree> {
  return get<Tree>(`${appPath(app)}/resourcetree`);
}

/** readLive is a live object of the Application's tree, Secret values masked (GET applications/NAME/resource). */
export async function readLive(app: Application, node: TreeNode): Promise<object> {
  const query = new URLSearchParams({ group: node.group ?? "", version: node.version ?? "", resourceKind: node.kind,
    namespace: node.namespace ?? "", resourceName: node.name });
  const live = await get<{ object?: object }>(`${appPath(app)}/resource?${query}`);
  return live.object ?? {};
}

/** refresh asks the controller for a normal or a hard refresh (pkg/refresh). */
export function refresh(app: Application, hard: boolean): Promise<unknown> {
  if (!inCluster) return post(`/ui/refresh/${base(app)}${hard ? "?hard=true" : ""}`);
  return send("PATCH", appPath(app), { metadata: { annotations: { "argocd.argoproj.io/refresh": hard ? "hard" : "normal" } } },
    "application/merge-patch+json");
}

const resourcesFinalizers = ["resources-finalizer.argocd.argoproj.io", "resources-finalizer.argocd.argoproj.io/foreground",
  "resources-finalizer.argocd.argoproj.io/background"];

/** remove deletes the Application, setting its resources finalizer for the cascade choice first (pkg/cascade). */
export async function remove(app: Application, cascade: string): Promise<unknown> {
  if (!inCluster) return post(`/ui/delete/${base(app)}?cascade=${cascade}`);
  const want = { foreground: resourcesFinalizers[0], background: resourcesFinalizers[2], orphan: "" }[cascade];
  if (want === undefined) throw new Error(`cascade: must be "foreground", "background" or "orphan", not "${cascade}"`);
  const current = app.metadata.finalizers ?? [];
  const kept = current.filter((f) => f === want || !resourcesFinalizers.includes(f));
  if (want && !kept.includes(want)) kept.push(want);
  if (kept.join("\n") !== current.join("\n")) {
    await send("PATCH", appPath(app), [{ op: "test", path: "/metadata/resourceVersion", value: app.metadata.resourceVersion },
      { op: "add", path: "/metadata/finalizers", value: kept }], "application/json-patch+json");
  }
  try {
    return await send("DELETE", appPath(app));
  } catch (err) {
    if (err instanceof APIError && err.code === 404) return {};
    throw err;
  }
}
