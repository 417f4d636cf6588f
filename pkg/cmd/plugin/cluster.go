package plugin

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"capstan.dev/capstan/pkg/cluster"
)

// Defaults of `cluster add` and `repo add`.
const (
	defaultRepositoryNamespace = "capstan-system"
	defaultManagerAccount      = "capstan-manager"
	defaultSystemNamespace     = "kube-system"
)

func newClusterCommand(c *clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Add and list the clusters Applications deploy to",
	}
	cmd.AddCommand(newClusterAddCommand(c), newClusterListCommand(c))
	return cmd
}

// clusterAddOptions are the flags of `cluster add`.
type clusterAddOptions struct {
	name, serviceAccount, systemNamespace, repositoryNamespace, project string
	upsert                                                              bool
}

func newClusterAddCommand(c *clients) *cobra.Command {
	o := clusterAddOptions{serviceAccount: defaultManagerAccount, systemNamespace: defaultSystemNamespace, repositoryNamespace: defaultRepositoryNamespace}
	cmd := &cobra.Command{
		Use:   "add CONTEXT [--name NAME] [--project P]",
		Short: "Let Capstan deploy to the cluster of a kubeconfig context",
		Long: "cluster add connects to the cluster of the kubeconfig context CONTEXT with your credentials there, creates " +
			"the ServiceAccount capstan-manager in kube-system, a ClusterRole and ClusterRoleBinding giving it full access " +
			"and a token for it, then writes an Argo CD cluster Secret (label argocd.argoproj.io/secret-type: cluster) with " +
			"that token into --repository-namespace of the current context's cluster, where Capstan runs. Applications then " +
			"deploy to it by destination server or name. It does what argocd cluster add does.",
		Example: "  kubectl capstan cluster add prod-context --name prod\n  kubectl capstan cluster add prod-context --project team-a",
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			raw, err := c.configFlags.ToRawKubeConfigLoader().RawConfig()
			if err != nil || len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for name := range raw.Contexts {
				if strings.HasPrefix(name, toComplete) {
					names = append(names, name)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), c, args[0])
		},
	}
	cmd.Flags().StringVar(&o.name, "name", "", "Name of the cluster in Application destinations (default: the context's name).")
	cmd.Flags().StringVar(&o.project, "project", "", "Scope the cluster to this AppProject.")
	cmd.Flags().StringVar(&o.serviceAccount, "service-account", o.serviceAccount, "ServiceAccount Capstan acts as in the cluster.")
	cmd.Flags().StringVar(&o.systemNamespace, "system-namespace", o.systemNamespace, "Namespace of that ServiceAccount and its token.")
	cmd.Flags().StringVar(&o.repositoryNamespace, "repository-namespace", o.repositoryNamespace, "Namespace of Capstan's cluster Secrets (capstan-apiserver's --repository-namespace).")
	cmd.Flags().BoolVar(&o.upsert, "upsert", false, "Replace the cluster Secret if the cluster was added before.")
	return cmd
}

func (o *clusterAddOptions) run(ctx context.Context, c *clients, contextName string) error {
	target, err := contextConfig(c, contextName)
	if err != nil {
		return err
	}
	targetClient, err := kubernetes.NewForConfig(target)
	if err != nil {
		return err
	}
	token, err := o.ensureManager(ctx, targetClient)
	if err != nil {
		return fmt.Errorf("cluster of context %s: %w", contextName, err)
	}
	caData := target.CAData
	if len(caData) == 0 && target.CAFile != "" {
		if caData, err = os.ReadFile(target.CAFile); err != nil {
			return fmt.Errorf("read the CA of context %s: %w", contextName, err)
		}
	}
	name := o.name
	if name == "" {
		name = contextName
	}
	secret, err := cluster.NewTokenSecret(o.repositoryNamespace, clusterSecretName(target.Host), name, target.Host, token, caData, target.Insecure, o.project)
	if err != nil {
		return err
	}
	kube, err := c.kube()
	if err != nil {
		return err
	}
	secrets := kube.CoreV1().Secrets(o.repositoryNamespace)
	_, err = secrets.Create(ctx, secret, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		if !o.upsert {
			return fmt.Errorf("cluster %s was added before (Secret %s/%s); --upsert replaces it", target.Host, o.repositoryNamespace, secret.Name)
		}
		_, err = secrets.Update(ctx, secret, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write the cluster Secret: %w", err)
	}
	fmt.Fprintf(c.streams.Out, "cluster %s (%s) added: Secret %s/%s\n", name, target.Host, o.repositoryNamespace, secret.Name)
	return nil
}

// contextConfig is the client configuration of a kubeconfig context.
func contextConfig(c *clients, contextName string) (*rest.Config, error) {
	raw, err := c.configFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, err
	}
	if _, ok := raw.Contexts[contextName]; !ok {
		return nil, fmt.Errorf("context %q is not in your kubeconfig", contextName)
	}
	return clientcmd.NewNonInteractiveClientConfig(raw, contextName, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
}

// ensureManager creates, or keeps, the ServiceAccount with cluster-admin
// rights and its long-lived token, and returns the token.
func (o *clusterAddOptions) ensureManager(ctx context.Context, kube kubernetes.Interface) (string, error) {
	account := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: o.serviceAccount, Namespace: o.systemNamespace}}
	if _, err := kube.CoreV1().ServiceAccounts(o.systemNamespace).Create(ctx, account, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create ServiceAccount %s/%s: %w", o.systemNamespace, o.serviceAccount, err)
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: o.serviceAccount + "-role"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
		},
	}
	if _, err := kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create ClusterRole %s: %w", role.Name, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: o.serviceAccount + "-role-binding"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: o.serviceAccount, Namespace: o.systemNamespace}},
	}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create ClusterRoleBinding %s: %w", binding.Name, err)
	}
	secrets := kube.CoreV1().Secrets(o.systemNamespace)
	tokenSecret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: o.serviceAccount + "-token", Namespace: o.systemNamespace,
			Annotations: map[string]string{corev1.ServiceAccountNameKey: o.serviceAccount}},
		Type: corev1.SecretTypeServiceAccountToken,
	}
	if _, err := secrets.Create(ctx, tokenSecret, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create the token Secret %s/%s: %w", o.systemNamespace, tokenSecret.Name, err)
	}
	// kube-controller-manager's token controller fills the token in.
	var token string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		secret, err := secrets.Get(ctx, tokenSecret.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		token = string(secret.Data[corev1.ServiceAccountTokenKey])
		return token != "", nil
	})
	if err != nil {
		return "", fmt.Errorf("wait for the token of ServiceAccount %s/%s: %w", o.systemNamespace, o.serviceAccount, err)
	}
	return token, nil
}

var unsafeNameCharacters = regexp.MustCompile(`[^a-z0-9-]+`)

// clusterSecretName is Argo CD's name for a cluster Secret: the host and a
// hash of the server URL.
func clusterSecretName(server string) string {
	host := server
	if u, err := url.Parse(server); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	host = strings.Trim(unsafeNameCharacters.ReplaceAllString(strings.ToLower(host), "-"), "-")
	if len(host) > 40 {
		host = host[:40]
	}
	hash := fnv.New32a()
	hash.Write([]byte(server))
	return fmt.Sprintf("cluster-%s-%d", host, hash.Sum32())
}

func newClusterListCommand(c *clients) *cobra.Command {
	repositoryNamespace := defaultRepositoryNamespace
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the clusters Applications may deploy to, with their connection status and version",
		Long: "cluster list lists the cluster Capstan runs in (in-cluster) and every cluster Secret of --repository-namespace, " +
			"connecting to each with the Secret's credentials (from where you run it) to show whether it answers and its version.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			kube, err := c.kube()
			if err != nil {
				return err
			}
			list, err := kube.CoreV1().Secrets(repositoryNamespace).List(cmd.Context(), metav1.ListOptions{LabelSelector: "argocd.argoproj.io/secret-type=cluster"})
			if err != nil {
				return err
			}
			rows := []clusterRow{connect(cmd.Context(), cluster.InClusterServer, "in-cluster", "", kube)}
			for i := range list.Items {
				secretCluster, err := cluster.FromSecret(&list.Items[i])
				if err != nil {
					rows = append(rows, clusterRow{Name: list.Items[i].Name, Status: "Invalid", Message: err.Error()})
					continue
				}
				client, err := kubernetes.NewForConfig(withTimeout(secretCluster.Config))
				if err != nil {
					rows = append(rows, clusterRow{Server: secretCluster.Server, Name: secretCluster.Name, Status: "Invalid", Message: err.Error()})
					continue
				}
				rows = append(rows, connect(cmd.Context(), secretCluster.Server, secretCluster.Name, secretCluster.Project, client))
			}
			return printClusters(c.streams.Out, rows)
		},
	}
	cmd.Flags().StringVar(&repositoryNamespace, "repository-namespace", repositoryNamespace, "Namespace of Capstan's cluster Secrets.")
	return cmd
}

// clusterRow is one line of `cluster list`.
type clusterRow struct {
	Server, Name, Version, Status, Message, Project string
}

// connect asks a cluster for its version.
func connect(ctx context.Context, server, name, project string, kube kubernetes.Interface) clusterRow {
	row := clusterRow{Server: server, Name: name, Project: project}
	info, err := kube.Discovery().ServerVersion()
	if err != nil {
		row.Status, row.Message = "Failed", connectionProblem(err)
		return row
	}
	row.Status, row.Version = "Successful", strings.TrimPrefix(info.Major+"."+strings.TrimSuffix(info.Minor, "+"), ".")
	return row
}

// connectionProblem says why a cluster did not answer, without quoting
// what it answered.
func connectionProblem(err error) string {
	switch {
	case apierrors.IsUnauthorized(err):
		return "the credentials were refused"
	case apierrors.IsForbidden(err):
		return "the credentials may not read the version"
	case strings.Contains(err.Error(), "x509") || strings.Contains(err.Error(), "tls"):
		return "the server's certificate is not trusted"
	}
	return "the server does not answer"
}

// withTimeout bounds the requests of cluster list.
func withTimeout(config *rest.Config) *rest.Config {
	config = rest.CopyConfig(config)
	config.Timeout = 10 * time.Second
	return config
}

func printClusters(out io.Writer, rows []clusterRow) error {
	w := printers.GetNewTabWriter(out)
	fmt.Fprintln(w, "SERVER\tNAME\tVERSION\tSTATUS\tMESSAGE\tPROJECT")
	for _, row := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", row.Server, row.Name, row.Version, row.Status, row.Message, row.Project)
	}
	return w.Flush()
}
