// The parts of Capstan's API objects that the pages show (Argo CD's shapes).

export interface Meta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface Health { status?: string; message?: string }

export interface ResourceStatus {
  group?: string; version?: string; kind: string; namespace?: string; name: string;
  status?: string; health?: Health; hook?: boolean; requiresPruning?: boolean; syncWave?: number;
}

export interface ResourceResult {
  group?: string; kind: string; namespace?: string; name: string;
  status?: string; message?: string; hookType?: string; hookPhase?: string; syncPhase?: string;
}

export interface Source { repoURL?: string; path?: string; targetRevision?: string; chart?: string }

export interface OperationState {
  phase: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  operation?: { sync?: { revision?: string; prune?: boolean; dryRun?: boolean } };
  syncResult?: { revision?: string; resources?: ResourceResult[] };
}

export interface History { id: number; revision?: string; deployedAt?: string; source?: Source }

export interface Application {
  metadata: Meta;
  spec: {
    project: string;
    source?: Source;
    sources?: Source[];
    destination: { server?: string; name?: string; namespace?: string };
    syncPolicy?: { automated?: object; syncOptions?: string[] };
  };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: Health;
    resources?: ResourceStatus[];
    operationState?: OperationState;
    history?: History[];
    conditions?: { type: string; message?: string }[];
    reconciledAt?: string;
  };
  operation?: object;
}

/** TreeNode is a node of applications/NAME/resourcetree (ApplicationResourceTree). */
export interface TreeNode {
  group?: string; version?: string; kind: string; namespace?: string; name: string; uid?: string;
  managed?: boolean; status?: string; requiresPruning?: boolean; health?: Health; createdAt?: string;
  children?: TreeNode[];
}

export interface Tree { nodes?: TreeNode[]; warnings?: string[] }

export interface ResourceDiff {
  group?: string; kind: string; namespace?: string; name: string; status: string;
  diff?: string; target?: object; live?: object; message?: string;
}

export interface ApplicationDiff { revision?: string; items?: ResourceDiff[] }

export interface ApplicationSet {
  metadata: Meta;
  spec: object;
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}

export interface AppProject {
  metadata: Meta;
  spec: {
    description?: string;
    sourceRepos?: string[];
    sourceNamespaces?: string[];
    destinations?: { server?: string; name?: string; namespace?: string }[];
    syncWindows?: { kind: string; schedule: string; duration: string; applications?: string[]; namespaces?: string[]; clusters?: string[]; manualSync?: boolean; timeZone?: string }[];
    [rule: string]: unknown;
  };
}
