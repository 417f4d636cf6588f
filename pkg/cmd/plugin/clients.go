package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	capstanv1alpha1 "capstan.dev/capstan/pkg/generated/clientset/versioned/typed/capstan/v1alpha1"
)

// clients reach the cluster of the current kubeconfig context, as kubectl
// does with the same flags.
type clients struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
}

func newClients(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *clients {
	return &clients{configFlags: configFlags, streams: streams}
}

func (c *clients) restConfig() (*rest.Config, error) {
	return c.configFlags.ToRESTConfig()
}

// namespace is -n, or the context's namespace, or "default".
func (c *clients) namespace() (string, error) {
	namespace, _, err := c.configFlags.ToRawKubeConfigLoader().Namespace()
	return namespace, err
}

func (c *clients) capstan() (clientset.Interface, error) {
	config, err := c.restConfig()
	if err != nil {
		return nil, err
	}
	return clientset.NewForConfig(config)
}

// applications are the Applications of the namespace.
func (c *clients) applications() (capstanv1alpha1.ApplicationInterface, string, error) {
	namespace, err := c.namespace()
	if err != nil {
		return nil, "", err
	}
	client, err := c.capstan()
	if err != nil {
		return nil, "", err
	}
	return client.CapstanV1alpha1().Applications(namespace), namespace, nil
}

func (c *clients) kube() (kubernetes.Interface, error) {
	config, err := c.restConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(config)
}

// completeApplicationNames completes Application names of the namespace,
// for the verbs that take them.
func (c *clients) completeApplicationNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	apps, _, err := c.applications()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	list, err := apps.List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(list.Items))
	for _, app := range list.Items {
		names = append(names, app.Name)
	}
	return completeFrom(names, args, toComplete)
}

// completeFrom offers the names that start with toComplete and are not
// among args yet.
func completeFrom(names, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	taken := map[string]bool{}
	for _, arg := range args {
		taken[arg] = true
	}
	var offered []string
	for _, name := range names {
		if strings.HasPrefix(name, toComplete) && !taken[name] {
			offered = append(offered, name)
		}
	}
	return offered, cobra.ShellCompDirectiveNoFileComp
}

// qualified names an Application as kubectl names objects.
func qualified(name string) string {
	return fmt.Sprintf("application.capstan.dev/%s", name)
}
