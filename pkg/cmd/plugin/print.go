package plugin

import (
	"fmt"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/resourcetree"
)

// scheme knows the kinds the plugin prints, so that printers see their
// apiVersion and kind.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// printObject prints obj with kubectl's printer for -o.
func printObject(printFlags *genericclioptions.PrintFlags, obj runtime.Object, out io.Writer) error {
	if gvks, _, err := scheme.ObjectKinds(obj); err == nil && len(gvks) > 0 {
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
	}
	printer, err := printFlags.ToPrinter()
	if err != nil {
		return err
	}
	return printer.PrintObj(obj, out)
}

// printApplication writes the human form of `get`: the Application's
// summary, then its resource tree (with VERSION and AGE when wide).
func printApplication(out io.Writer, app *v1alpha1.Application, tree *resourcetree.Tree, wide bool, now time.Time) error {
	// Keys are padded to one width, as argocd app get prints them.
	field := func(name, value string) {
		fmt.Fprintln(out, strings.TrimRight(fmt.Sprintf("%-16s%s", name+":", value), " "))
	}
	field("Name", app.Namespace+"/"+app.Name)
	field("Project", orDefault(app.Spec.Project, "default"))
	field("Server", destinationName(app))
	field("Namespace", app.Spec.Destination.Namespace)
	for _, url := range app.Status.Summary.ExternalURLs {
		field("URL", url)
	}
	sources := app.Spec.Sources
	if len(sources) == 0 && app.Spec.Source != nil {
		sources = []v1alpha1.ApplicationSource{*app.Spec.Source}
	}
	field("Sources", "")
	for _, source := range sources {
		field("- Repo", source.RepoURL)
		field("  Target", orDefault(source.TargetRevision, "HEAD"))
		if source.Chart != "" {
			field("  Chart", source.Chart)
		} else if source.Path != "" {
			field("  Path", source.Path)
		}
		if source.Ref != "" {
			field("  Ref", source.Ref)
		}
	}
	field("Sync Policy", syncPolicy(app.Spec.SyncPolicy))
	field("Sync Status", syncStatus(app))
	field("Health Status", healthStatus(app.Status.Health.Status, app.Status.Health.Message))
	if state := app.Status.OperationState; state != nil {
		field("Operation", operationSummary(state))
	}
	for _, condition := range app.Status.Conditions {
		field("Condition", fmt.Sprintf("%s: %s", condition.Type, condition.Message))
	}
	if len(tree.Nodes) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	return printTree(out, tree, resultMessages(app), wide, now)
}

// printTree writes one row per node, children indented below their owner.
func printTree(out io.Writer, tree *resourcetree.Tree, messages map[string]string, wide bool, now time.Time) error {
	w := printers.GetNewTabWriter(out)
	header := "KIND\tNAMESPACE\tNAME\tSTATUS\tHEALTH\tMESSAGE"
	if wide {
		header = "KIND\tVERSION\tNAMESPACE\tNAME\tSTATUS\tHEALTH\tAGE\tMESSAGE"
	}
	fmt.Fprintln(w, header)
	// prefix draws the node's branch; indent continues its ancestors' lines
	// for its children.
	var row func(node *resourcetree.Node, prefix, indent string)
	row = func(node *resourcetree.Node, prefix, indent string) {
		kind := node.Kind
		if node.Group != "" {
			kind += "." + node.Group
		}
		status := string(node.Status)
		if node.RequiresPruning {
			status += " (prune)"
		}
		healthCode, message := "", messages[nodeKey(node)]
		if node.Health != nil {
			healthCode = string(node.Health.Status)
			if message == "" {
				message = node.Health.Message
			}
		}
		cells := []string{prefix + kind, node.Namespace, node.Name, status, healthCode, oneLine(message)}
		if wide {
			cells = []string{prefix + kind, node.Version, node.Namespace, node.Name, status, healthCode, age(node.Created, now), oneLine(message)}
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
		for i, child := range node.Children {
			branch, continued := "├─", "│ "
			if i == len(node.Children)-1 {
				branch, continued = "└─", "  "
			}
			row(child, indent+branch, indent+continued)
		}
	}
	for _, node := range tree.Nodes {
		row(node, "", "")
	}
	return w.Flush()
}

// resultMessages are the messages of the last sync per resource, by node key.
func resultMessages(app *v1alpha1.Application) map[string]string {
	messages := map[string]string{}
	if state := app.Status.OperationState; state != nil && state.SyncResult != nil {
		for _, result := range state.SyncResult.Resources {
			if result.HookType == "" {
				messages[result.Group+"/"+result.Kind+"/"+result.Namespace+"/"+result.Name] = result.Message
			}
		}
	}
	return messages
}

func nodeKey(node *resourcetree.Node) string {
	if !node.Managed {
		return ""
	}
	return node.Group + "/" + node.Kind + "/" + node.Namespace + "/" + node.Name
}

func syncPolicy(policy *v1alpha1.SyncPolicy) string {
	if policy == nil || policy.Automated == nil {
		return "Manual"
	}
	var flags []string
	if policy.Automated.Prune {
		flags = append(flags, "Prune")
	}
	if policy.Automated.SelfHeal {
		flags = append(flags, "SelfHeal")
	}
	if len(flags) == 0 {
		return "Automated"
	}
	return "Automated (" + strings.Join(flags, ", ") + ")"
}

// syncStatus reads as Argo CD's: "Synced to main (1a2b3c4)".
func syncStatus(app *v1alpha1.Application) string {
	status := orDefault(string(app.Status.Sync.Status), "Unknown")
	target := "HEAD"
	if app.Spec.Source != nil && app.Spec.Source.TargetRevision != "" {
		target = app.Spec.Source.TargetRevision
	}
	if len(app.Spec.Sources) > 0 {
		return status
	}
	return fmt.Sprintf("%s to %s (%s)", status, target, shortRevision(app.Status.Sync.Revision))
}

func healthStatus(code v1alpha1.HealthStatusCode, message string) string {
	status := orDefault(string(code), "Unknown")
	if message != "" {
		status += ": " + oneLine(message)
	}
	return status
}

// operationSummary reads "Sync Succeeded at 2026-01-02T03:04:05Z: successfully synced".
func operationSummary(state *v1alpha1.OperationState) string {
	kind := "Sync"
	if state.Operation.Sync == nil {
		kind = "Operation"
	}
	summary := fmt.Sprintf("%s %s", kind, state.Phase)
	switch {
	case state.FinishedAt != nil:
		summary += " at " + state.FinishedAt.UTC().Format(time.RFC3339)
	case !state.StartedAt.IsZero():
		summary += " since " + state.StartedAt.UTC().Format(time.RFC3339)
	}
	if state.Message != "" {
		summary += ": " + oneLine(state.Message)
	}
	return summary
}

func shortRevision(revision string) string {
	if len(revision) > 7 {
		return revision[:7]
	}
	return orDefault(revision, "unknown")
}

func age(created metav1.Time, now time.Time) string {
	if created.IsZero() {
		return ""
	}
	return duration.HumanDuration(now.Sub(created.Time))
}

func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}
