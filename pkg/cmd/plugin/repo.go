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
}

func newRepoAddCommand(c *clients) *cobra.Command {
	o := repoAddOptions{repoType: "git", repositoryNamespace: defaultRepositoryNamespace}
	cmd := &cobra.Command{
		Use:   "add URL [--username U --password-stdin | --ssh-private-key-path FILE]",
		Short: "Write the repository Secret of a Git or Helm repository",
		Long: "repo add writes an Argo CD repository Secret (label argocd.argoproj.io/secret-type: repository) for URL into " +
			"--repository-namespace, with the credentials given: a user name and a password (or token) read from standard " +
			"input, or an SSH private key read from a file. Nothing is sent to the repository. It does what argocd repo add does.",
		Example: "  echo \"$TOKEN\" | kubectl capstan repo add https://github.com/org/app.git --username git --password-stdin\n" +
			"  kubectl capstan repo add git@github.com:org/app.git --ssh-private-key-path ~/.ssh/id_ed25519\n" +
			"  kubectl capstan repo add https://charts.example.com --type helm --name example",
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
	_ = cmd.MarkFlagFilename("ssh-private-key-path")
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
