package plugin

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/repourl"
)

func newRepoCommand(c *clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Add the repositories Applications read",
	}
	cmd.AddCommand(newRepoAddCommand(c))
	return cmd
}

// repoAddOptions are the flags of `repo add`.
type repoAddOptions struct {
	name, repoType, project, username, sshKeyPath, repositoryNamespace string
	passwordStdin, insecureIgnoreHostKey, upsert                       bool
	// githubAppID, githubAppInstallationID, githubAppKeyPath and
	// githubAppEnterpriseBaseURL describe a GitHub App's credentials.
	githubAppID, githubAppInstallationID         int64
	githubAppKeyPath, githubAppEnterpriseBaseURL string
}

func newRepoAddCommand(c *clients) *cobra.Command {
	o := repoAddOptions{repoType: "git", repositoryNamespace: defaultRepositoryNamespace}
	cmd := &cobra.Command{
		Use:   "add URL [--username U --password-stdin | --ssh-private-key-path FILE | --github-app-id N --github-app-installation-id N --github-app-private-key-path FILE]",
		Short: "Write the repository Secret of a Git or Helm repository",
		Long: "repo add writes an Argo CD repository Secret (label argocd.argoproj.io/secret-type: repository) for URL into " +
			"--repository-namespace, with the credentials given: a user name and a password (or token) read from standard " +
			"input, an SSH private key read from a file, or a GitHub App (its ID, installation ID and private key file; " +
			"capstan-apiserver then fetches over HTTPS with the installation's tokens). Nothing is sent to the repository. " +
			"It does what argocd repo add does.",
		Example: "  echo \"$TOKEN\" | kubectl capstan repo add https://github.com/org/app.git --username git --password-stdin\n" +
			"  kubectl capstan repo add git@github.com:org/app.git --ssh-private-key-path ~/.ssh/id_ed25519\n" +
			"  kubectl capstan repo add https://charts.example.com --type helm --name example\n" +
			"  kubectl capstan repo add https://github.com/org/app.git --github-app-id 1 --github-app-installation-id 2 --github-app-private-key-path app.pem",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), c, args[0])
		},
	}
	cmd.Flags().StringVar(&o.name, "name", "", "Name of the repository (a Helm repository's name for @name dependencies).")
	cmd.Flags().StringVar(&o.repoType, "type", o.repoType, `Repository type: "git" or "helm".`)
	cmd.Flags().StringVar(&o.project, "project", "", "Let only this AppProject's Applications use the credentials.")
	cmd.Flags().StringVar(&o.username, "username", "", "User name for HTTPS.")
	cmd.Flags().BoolVar(&o.passwordStdin, "password-stdin", false, "Read the password or token from standard input.")
	cmd.Flags().StringVar(&o.sshKeyPath, "ssh-private-key-path", "", "File holding the SSH private key.")
	cmd.Flags().BoolVar(&o.insecureIgnoreHostKey, "insecure-ignore-host-key", false, "Do not verify the SSH host key (argocd-ssh-known-hosts-cm holds the known ones).")
	cmd.Flags().StringVar(&o.repositoryNamespace, "repository-namespace", o.repositoryNamespace, "Namespace of Capstan's repository Secrets (capstan-apiserver's --repository-namespace).")
	cmd.Flags().BoolVar(&o.upsert, "upsert", false, "Replace the repository Secret if the repository was added before.")
	cmd.Flags().Int64Var(&o.githubAppID, "github-app-id", 0, "ID of the GitHub App whose installation tokens authenticate.")
	cmd.Flags().Int64Var(&o.githubAppInstallationID, "github-app-installation-id", 0, "ID of the GitHub App's installation.")
	cmd.Flags().StringVar(&o.githubAppKeyPath, "github-app-private-key-path", "", "File holding the GitHub App's private key (PEM).")
	cmd.Flags().StringVar(&o.githubAppEnterpriseBaseURL, "github-app-enterprise-base-url", "", "API of a GitHub Enterprise Server (https://HOST/api/v3); api.github.com when empty.")
	_ = cmd.MarkFlagFilename("ssh-private-key-path")
	_ = cmd.MarkFlagFilename("github-app-private-key-path")
	return cmd
}

func (o *repoAddOptions) run(ctx context.Context, c *clients, repoURL string) error {
	secret, err := o.secret(c, repoURL)
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
			return fmt.Errorf("repository %s was added before (Secret %s/%s); --upsert replaces it", repourl.Redact(repoURL), o.repositoryNamespace, secret.Name)
		}
		_, err = secrets.Update(ctx, secret, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write the repository Secret: %w", err)
	}
	fmt.Fprintf(c.streams.Out, "repository %s added: Secret %s/%s\n", repourl.Redact(repoURL), o.repositoryNamespace, secret.Name)
	return nil
}

// githubApp adds the GitHub App flags to data: all three of the ID, the
// installation ID and the key file, for an HTTPS URL, and no other credential.
func (o *repoAddOptions) githubApp(repoURL string, data map[string]string) error {
	given := o.githubAppID != 0 || o.githubAppInstallationID != 0 || o.githubAppKeyPath != "" || o.githubAppEnterpriseBaseURL != ""
	if !given {
		return nil
	}
	switch {
	case o.githubAppID <= 0 || o.githubAppInstallationID <= 0 || o.githubAppKeyPath == "":
		return fmt.Errorf("--github-app-id, --github-app-installation-id and --github-app-private-key-path go together, each set")
	case o.username != "" || o.passwordStdin || o.sshKeyPath != "":
		return fmt.Errorf("a GitHub App cannot be combined with --username, --password-stdin or --ssh-private-key-path")
	case repourl.IsSSH(repoURL) || o.repoType != "git":
		return fmt.Errorf("a GitHub App authenticates Git over HTTPS: %s is not an HTTPS Git repository", repourl.Redact(repoURL))
	}
	key, err := os.ReadFile(o.githubAppKeyPath)
	if err != nil {
		return fmt.Errorf("--github-app-private-key-path: %w", err)
	}
	data["githubAppID"] = strconv.FormatInt(o.githubAppID, 10)
	data["githubAppInstallationID"] = strconv.FormatInt(o.githubAppInstallationID, 10)
	data["githubAppPrivateKey"] = string(key)
	if o.githubAppEnterpriseBaseURL != "" {
		data["githubAppEnterpriseBaseUrl"] = o.githubAppEnterpriseBaseURL
	}
	return nil
}

// secret builds the repository Secret the flags describe.
func (o *repoAddOptions) secret(c *clients, repoURL string) (*corev1.Secret, error) {
	if err := repourl.Check(repoURL); err != nil {
		return nil, fmt.Errorf("URL: %w", err)
	}
	if o.repoType != "git" && o.repoType != "helm" {
		return nil, fmt.Errorf(`--type: must be "git" or "helm", not %q`, o.repoType)
	}
	if o.sshKeyPath != "" && (o.username != "" || o.passwordStdin) {
		return nil, fmt.Errorf("--ssh-private-key-path cannot be combined with --username or --password-stdin")
	}
	data := map[string]string{"url": repoURL, "type": o.repoType}
	for key, value := range map[string]string{"name": o.name, "project": o.project, "username": o.username} {
		if value != "" {
			data[key] = value
		}
	}
	if o.passwordStdin {
		password, err := bufio.NewReader(c.streams.In).ReadString('\n')
		password = strings.TrimRight(password, "\r\n")
		if password == "" {
			return nil, fmt.Errorf("--password-stdin: no password on standard input (%v)", err)
		}
		data["password"] = password
	}
	if o.sshKeyPath != "" {
		if !repourl.IsSSH(repoURL) {
			return nil, fmt.Errorf("--ssh-private-key-path: %s is not an SSH URL", repourl.Redact(repoURL))
		}
		key, err := os.ReadFile(o.sshKeyPath)
		if err != nil {
			return nil, fmt.Errorf("--ssh-private-key-path: %w", err)
		}
		data["sshPrivateKey"] = string(key)
	}
	if err := o.githubApp(repoURL, data); err != nil {
		return nil, err
	}
	if o.insecureIgnoreHostKey {
		data["insecureIgnoreHostKey"] = strconv.FormatBool(true)
	}
	hash := fnv.New32a()
	hash.Write([]byte(repourl.Normalize(repoURL)))
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("repo-%d", hash.Sum32()), Namespace: o.repositoryNamespace,
			Labels: map[string]string{credentials.SecretTypeLabel: credentials.SecretTypeRepository},
		},
		Type:       corev1.SecretTypeOpaque,
		StringData: data,
	}, nil
}
