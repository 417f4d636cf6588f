package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// readNamespace holds the floor's ConfigMaps of the read scenario.
const readNamespace = "bench-read"

// runRead times `kubectl get applications -A` (the real kubectl, table
// output) with every Application present, against `kubectl get configmaps`
// listing as many ConfigMaps of the same average size from kube-apiserver.
func runRead(ctx context.Context, env *environment, r *report) error {
	size, err := averageApplicationBytes(ctx, env)
	if err != nil {
		return err
	}
	if err := createReadConfigMaps(ctx, env, size); err != nil {
		return err
	}
	measured, err := timeKubectl(ctx, env, "get", "applications", "-A")
	if err != nil {
		return err
	}
	floor, err := timeKubectl(ctx, env, "get", "configmaps", "-n", readNamespace)
	if err != nil {
		return err
	}
	r.detail("readConfigMapBytes", size)
	r.addLatencies("read", "kubectl get applications -A", fmt.Sprintf("kubectl get configmaps (same count, %d bytes each)", size),
		seconds(measured), seconds(floor), "")
	return nil
}

// averageApplicationBytes is the mean JSON size of the bench's Applications.
func averageApplicationBytes(ctx context.Context, env *environment) (int, error) {
	list, err := env.capstan.CapstanV1alpha1().Applications(appNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	if len(list.Items) == 0 {
		return 0, fmt.Errorf("no Applications to read")
	}
	total := 0
	for i := range list.Items {
		data, err := json.Marshal(&list.Items[i])
		if err != nil {
			return 0, err
		}
		total += len(data)
	}
	return total / len(list.Items), nil
}

// createReadConfigMaps creates one ConfigMap per app whose JSON is about size bytes.
func createReadConfigMaps(ctx context.Context, env *environment, size int) error {
	if err := env.applyNamespace(ctx, readNamespace); err != nil {
		return err
	}
	payload := strings.Repeat("x", max(0, size-250))
	return parallel(len(env.apps), env.cfg.workers, func(i int) error {
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("read-%04d", i), Namespace: readNamespace},
			Data:       map[string]string{"payload": payload},
		}
		data, err := json.Marshal(cm)
		if err != nil {
			return err
		}
		force := true
		_, err = env.kube.CoreV1().ConfigMaps(readNamespace).Patch(ctx, cm.Name, types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: floorFieldManager, Force: &force})
		return err
	})
}

// timeKubectl runs kubectl with args cfg.reads times (after one unmeasured
// run that fills its discovery cache) and returns each run's wall time.
func timeKubectl(ctx context.Context, env *environment, args ...string) ([]time.Duration, error) {
	kubectl := filepath.Join(env.cfg.binDir, "kubectl")
	full := append([]string{"--kubeconfig=" + env.cfg.kubeconfig,
		"--cache-dir=" + filepath.Join(env.cfg.outDir, "kubectl-cache")}, args...)
	var out []time.Duration
	for i := range env.cfg.reads + 1 {
		started := time.Now()
		cmd := exec.CommandContext(ctx, kubectl, full...)
		output, err := cmd.CombinedOutput()
		took := time.Since(started)
		if err != nil {
			return nil, fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, tail(output))
		}
		if i > 0 {
			out = append(out, took)
		}
	}
	return out, nil
}

func tail(data []byte) string {
	const n = 2000
	if len(data) > n {
		return string(data[len(data)-n:])
	}
	return string(data)
}
