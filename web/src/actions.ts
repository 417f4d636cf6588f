// The actions that take more than one Kubernetes call: the resource tree, a
// live object of it, refresh and delete. Served by `kubectl capstan
// dashboard`, the page asks its backend (pkg/dashboard/actions.go), which
// does them with the user's kubeconfig. Served by capstan-apiserver, the page
// does them itself through the proxy that served it, with the same rules, so
// that every call is still the user's own request.

import { APIError, apiRoot, get, group, inCluster, post, send } from "./api";
import type { Application, Health, Tree, TreeNode } from "./types";

const base = (app: Application) => `${app.metadata.namespace}/${app.metadata.name}`;
const appPath = (app: Application) => `${group}/namespaces/${app.metadata.namespace}/applications/${app.metadata.name}`;

/** loadTree is the Application's resource tree as the user sees it. */
export function loadTree(app: Application): Promise<Tree> {
  return inCluster ? buildTree(app) : get<Tree>(`/ui/tree/${base(app)}`);
}

/** readLive is a live object of the Application's tree, Secret values masked. */
export async function readLive(app: Application, node: TreeNode): Promise<object> {
  if (!inCluster) {
    const query = new URLSearchParams({ group: node.Group, kind: node.Kind, namespace: node.Namespace, name: node.Name });
    return get(`/ui/live/${base(app)}?${query}`);
  }
  const resource = await discover(node.Group, node.Version, node.Kind);
  if (!resource) throw new APIError(`the cluster serves no ${node.Kind} in ${node.Group || "core"}/${node.Version}`, 404);
  return maskSecret(await get<Record<string, unknown>>(`${collection(node.Group, node.Version, resource, node.Namespace)}/${node.Name}`));
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

// The in-cluster tree: pkg/resourcetree's rules, read through the proxy.

interface Obj {
  apiVersion?: string; kind?: string;
  metadata: { name: string; namespace?: string; uid: string; ownerReferences?: { uid: string }[]; generation?: number; creationTimestamp?: string };
  spec?: Record<string, any>; status?: Record<string, any>;
}

/** childKinds are the kinds looked up as children (resourcetree.DefaultChildKinds). */
const childKinds = [["apps", "v1", "ReplicaSet"], ["", "v1", "Pod"], ["batch", "v1", "Job"], ["discovery.k8s.io", "v1", "EndpointSlice"]];
const maxDepth = 5;

interface Discovered { name: string; namespaced: boolean }
const discovery = new Map<string, Promise<Map<string, Discovered>>>();

/** discover is the resource serving a kind, from the API's discovery; undefined when the cluster does not serve it. */
async function discover(groupName: string, version: string, kind: string): Promise<Discovered | undefined> {
  const gv = groupName ? `apis/${groupName}/${version}` : `api/${version}`;
  let kinds = discovery.get(gv);
  if (!kinds) {
    kinds = get<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(`${apiRoot}/${gv}`).then(
      (list) => new Map(list.resources.filter((r) => !r.name.includes("/")).map((r) => [r.kind, { name: r.name, namespaced: r.namespaced }])),
      (err) => { discovery.delete(gv); if (err instanceof APIError && err.code === 404) return new Map(); throw err; });
    discovery.set(gv, kinds);
  }
  return (await kinds).get(kind);
}

function collection(groupName: string, version: string, resource: Discovered, namespace: string): string {
  const gv = groupName ? `apis/${groupName}/${version}` : `api/${version}`;
  return `${apiRoot}/${gv}${resource.namespaced && namespace ? `/namespaces/${namespace}` : ""}/${resource.name}`;
}

/** list lists a kind in a namespace; null when it leaves the kind out (not served, or not readable: a warning says so). */
async function list(kind: string[], namespace: string, selector: string, warnings: string[]): Promise<Obj[] | null> {
  const [groupName, version, kindName] = kind;
  try {
    const resource = await discover(groupName, version, kindName);
    if (!resource) return null;
    const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : "";
    const listed = await get<{ items: Obj[] }>(collection(groupName, version, resource, namespace) + query);
    return listed.items ?? [];
  } catch (err) {
    if (err instanceof APIError && err.code === 404) return null;
    if (err instanceof APIError && err.code === 403) {
      warnings.push(`${kindName} ${namespace ? "in namespace " + namespace : "at cluster scope"} not shown: you may not list them`);
      return null;
    }
    throw err;
  }
}

/** instanceLabelValue is pkg/cluster.InstanceLabelValue: "<namespace>_<name>", shortened with a hash past 63 characters. */
async function instanceLabelValue(namespace: string, name: string): Promise<string> {
  const instance = `${namespace}_${name}`;
  if (instance.length <= 63) return instance;
  const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(instance)));
  const hash = [...sum].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 10);
  return `${instance.slice(0, 63 - hash.length - 1).replace(/[-_.]+$/, "")}-${hash}`;
}

function fromStatus(app: Application): TreeNode[] {
  return (app.status?.resources ?? []).map((r) => ({
    Group: r.group ?? "", Version: r.version ?? "", Kind: r.kind, Namespace: r.namespace ?? "", Name: r.name,
    Managed: true, Status: r.status, RequiresPruning: r.requiresPruning, Health: r.health ?? null,
  }));
}

/** buildTree is resourcetree.BuildLive done in the page with the user's own requests. */
async function buildTree(app: Application): Promise<Tree> {
  const nodes = fromStatus(app);
  const destination = app.spec.destination;
  if (!(destination.server === "https://kubernetes.default.svc" || !destination.server && (!destination.name || destination.name === "in-cluster"))) {
    return { Nodes: nodes, Warnings: [`the objects owned by the managed resources are not shown: they are in cluster ${destination.server || destination.name}`] };
  }
  const warnings: string[] = [];
  const selector = `capstan.dev/instance=${await instanceLabelValue(app.metadata.namespace ?? "", app.metadata.name)}`;
  const uids = new Map<string, string>();
  const listed = new Set<string>();
  for (const node of nodes) {
    const key = `${node.Group}/${node.Version}/${node.Kind}/${node.Namespace}`;
    if (!node.Version || listed.has(key)) continue;
    listed.add(key);
    for (const obj of (await list([node.Group, node.Version, node.Kind], node.Namespace, selector, warnings)) ?? []) {
      uids.set(`${node.Group}/${node.Kind}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`, obj.metadata.uid);
    }
  }
  const owned = new Map<string, Obj[]>();
  const namespaces = [...new Set(nodes.map((n) => n.Namespace).filter(Boolean))].sort();
  for (const namespace of namespaces) {
    for (const kind of childKinds) {
      for (const obj of (await list(kind, namespace, "", warnings)) ?? []) {
        obj.apiVersion ??= kind[0] ? `${kind[0]}/${kind[1]}` : kind[1];
        obj.kind ??= kind[2];
        for (const owner of obj.metadata.ownerReferences ?? []) owned.set(owner.uid, [...(owned.get(owner.uid) ?? []), obj]);
      }
    }
  }
  const children = (uid: string, seen: Set<string>, depth: number): TreeNode[] => {
    if (depth > maxDepth) return [];
    const result: TreeNode[] = [];
    for (const obj of owned.get(uid) ?? []) {
      if (seen.has(obj.metadata.uid)) continue;
      seen.add(obj.metadata.uid);
      const [groupName, version] = obj.apiVersion!.includes("/") ? obj.apiVersion!.split("/") : ["", obj.apiVersion!];
      result.push({ Group: groupName, Version: version, Kind: obj.kind!, Namespace: obj.metadata.namespace ?? "", Name: obj.metadata.name,
        Managed: false, Health: healthOf(obj), Children: children(obj.metadata.uid, seen, depth + 1) });
    }
    return result.sort((a, b) => a.Kind !== b.Kind ? (a.Kind < b.Kind ? -1 : 1) : a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0);
  };
  for (const node of nodes) {
    const uid = uids.get(`${node.Group}/${node.Kind}/${node.Namespace}/${node.Name}`);
    if (uid) node.Children = children(uid, new Set([uid]), 1);
  }
  return { Nodes: nodes, Warnings: warnings };
}

/**
 * healthOf is the health of a child the page reads itself, by Argo CD's
 * built-in rules for the kinds that are children (Pod, ReplicaSet, Job);
 * null for a kind without health. (The local dashboard uses pkg/health.)
 */
function healthOf(obj: Obj): Health | null {
  const status = obj.status ?? {};
  switch (obj.kind) {
    case "Pod": {
      // pkg/health/pod.go
      const message = status.message as string | undefined;
      let restartPolicy = obj.spec?.restartPolicy;
      const annotations = (obj.metadata as any).annotations ?? {};
      const hook = annotations["argocd.argoproj.io/hook"] || annotations["helm.sh/hook"];
      if (restartPolicy !== "Always" && annotations["argocd.argoproj.io/ignore-restart-policy"] === "true" && !hook) restartPolicy = "Always";
      const containers: any[] = status.containerStatuses ?? [];
      if (restartPolicy === "Always") {
        const failing = containers.map((c) => c.state?.waiting).filter((w) => w && /^Err|Error$|BackOff$/.test(w.reason ?? ""));
        if (failing.length) return { status: "Degraded", message: failing.map((w) => w.message ?? "").join(", ") };
      }
      switch (status.phase) {
        case "Pending": return { status: "Progressing", message };
        case "Succeeded": return { status: "Healthy", message };
        case "Failed": return { status: "Degraded", message };
        case "Running":
          if (restartPolicy !== "Always") return { status: "Progressing", message };
          if ((status.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True")) return { status: "Healthy", message };
          return { status: containers.some((c) => c.lastState?.terminated) ? "Degraded" : "Progressing", message };
      }
      return { status: "Unknown", message };
    }
    case "ReplicaSet": {
      if ((obj.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) return { status: "Progressing", message: "Waiting for rollout to finish: observed replica set generation less than desired generation" };
      const want = obj.spec?.replicas ?? 1;
      if ((status.availableReplicas ?? 0) < want) return { status: "Progressing", message: `Waiting for rollout to finish: ${status.availableReplicas ?? 0} of ${want} updated replicas are available...` };
      return { status: "Healthy" };
    }
    case "Job": {
      const condition = (status.conditions ?? []).find((c: any) => (c.type === "Complete" || c.type === "Failed" || c.type === "FailureTarget") && c.status === "True");
      if (condition?.type === "Complete") return { status: "Healthy", message: condition.message };
      if (condition) return { status: "Degraded", message: condition.message };
      return { status: obj.spec?.suspend ? "Suspended" : "Progressing" };
    }
  }
  return null;
}

/** maskSecret is diff.MaskSecrets for one object: each value a run of '+', the last-applied annotation dropped. */
function maskSecret(obj: Record<string, any>): object {
  if (obj.apiVersion !== "v1" || obj.kind !== "Secret") return obj;
  const masks = new Map<string, string>();
  const data: Record<string, string> = { ...(obj.data ?? {}) };
  for (const [key, value] of Object.entries(obj.stringData ?? {})) data[key] = btoa(String(value));
  for (const [key, value] of Object.entries(data)) {
    if (!masks.has(value)) masks.set(value, "+".repeat(8 + masks.size));
    data[key] = masks.get(value)!;
  }
  const annotations = { ...(obj.metadata?.annotations ?? {}) };
  delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
  const { stringData: _dropped, ...rest } = obj;
  return { ...rest, data, metadata: { ...obj.metadata, annotations } };
}
