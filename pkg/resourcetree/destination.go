package resourcetree

import (
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// ReadsCurrentCluster tells whether the Application deploys to the cluster
// Capstan runs in, which the user's kubeconfig reaches.
func ReadsCurrentCluster(app *v1alpha1.Application) bool {
	destination := app.Spec.Destination
	return destination.Server == cluster.InClusterServer || destination.Server == "" && (destination.Name == "in-cluster" || destination.Name == "")
}

// DestinationName names the Application's destination cluster, by server
// URL or by name.
func DestinationName(app *v1alpha1.Application) string {
	if app.Spec.Destination.Server != "" {
		return app.Spec.Destination.Server
	}
	return app.Spec.Destination.Name
}

// Find is the node of the tree with the group, kind, namespace and name;
// nil when the tree has none.
func (t *Tree) Find(group, kind, namespace, name string) *Node {
	var find func(nodes []*Node) *Node
	find = func(nodes []*Node) *Node {
		for _, node := range nodes {
			if node.Group == group && node.Kind == kind && node.Namespace == namespace && node.Name == name {
				return node
			}
			if found := find(node.Children); found != nil {
				return found
			}
		}
		return nil
	}
	return find(t.Nodes)
}
