package compare

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
)

// LinkAnnotationPrefix marks annotations whose values are external links of a
// resource or of the Application itself (Argo CD's
// link.argocd.argoproj.io/<name>, e.g. link.argocd.argoproj.io/external-link).
const LinkAnnotationPrefix = "link.argocd.argoproj.io/"

// podSpecPaths locates the pod spec of the workload kinds, by "group/Kind".
var podSpecPaths = map[string][]string{
	"/Pod":                   {"spec"},
	"/ReplicationController": {"spec", "template", "spec"},
	"apps/Deployment":        {"spec", "template", "spec"},
	"apps/StatefulSet":       {"spec", "template", "spec"},
	"apps/DaemonSet":         {"spec", "template", "spec"},
	"apps/ReplicaSet":        {"spec", "template", "spec"},
	"batch/Job":              {"spec", "template", "spec"},
	"batch/CronJob":          {"spec", "jobTemplate", "spec", "template", "spec"},
}

// summarize lists the container images and external URLs of the managed
// resources, each sorted and unique, reading the live object of each resource
// or its target when it is not live yet.
//
// Argo CD reads images from the Pods of its resource tree; Capstan does not
// cache Pods, so it reads the pod templates of the workloads instead, which
// name the same images once rolled out. External URLs are Argo CD's: Ingress
// rules (https when the Ingress has TLS for the host or any secretName,
// the load balancer address for rules without host, the path without a
// trailing "*"), and the values of link.argocd.argoproj.io/* annotations on
// the resources and on the Application.
func summarize(app *v1alpha1.Application, targets, live map[cluster.ResourceKey]*unstructured.Unstructured) v1alpha1.ApplicationSummary {
	images := map[string]bool{}
	urls := map[string]bool{}
	for key, value := range app.Annotations {
		if strings.HasPrefix(key, LinkAnnotationPrefix) {
			urls[value] = true
		}
	}
	// Images and URLs are sets: the resources are read in any order.
	for key, obj := range live {
		summarizeObject(images, urls, key, obj)
	}
	for key, obj := range targets {
		if live[key] == nil {
			summarizeObject(images, urls, key, obj)
		}
	}
	return v1alpha1.ApplicationSummary{ExternalURLs: sortedSet(urls), Images: sortedSet(images)}
}

// summarizeObject adds the images and URLs of one resource's object.
func summarizeObject(images, urls map[string]bool, key cluster.ResourceKey, obj *unstructured.Unstructured) {
	if obj == nil {
		return
	}
	cluster.EachAnnotation(obj, func(annotation, value string) {
		if strings.HasPrefix(annotation, LinkAnnotationPrefix) {
			urls[value] = true
		}
	})
	if path, ok := podSpecPaths[key.Group+"/"+key.Kind]; ok {
		addImages(images, obj, path)
	}
	if key.Kind == "Ingress" && (key.Group == "networking.k8s.io" || key.Group == "extensions") {
		addIngressURLs(urls, obj)
	}
}

func addImages(images map[string]bool, obj *unstructured.Unstructured, podSpec []string) {
	for _, field := range []string{"initContainers", "containers"} {
		containers, _, _ := unstructured.NestedSlice(obj.Object, append(append([]string{}, podSpec...), field)...)
		for _, container := range containers {
			if c, ok := container.(map[string]interface{}); ok {
				if image, ok := c["image"].(string); ok && image != "" {
					images[image] = true
				}
			}
		}
	}
}

// addIngressURLs is Argo CD's populateIngressInfo.
func addIngressURLs(urls map[string]bool, ingress *unstructured.Unstructured) {
	rules, _, _ := unstructured.NestedSlice(ingress.Object, "spec", "rules")
	tls, _, _ := unstructured.NestedSlice(ingress.Object, "spec", "tls")
	for _, item := range rules {
		rule, ok := item.(map[string]interface{})
		if !ok {
			continue
		}
		host, _ := rule["host"].(string)
		if host == "" {
			host = loadBalancerAddress(ingress)
		}
		paths, _, _ := unstructured.NestedSlice(rule, "http", "paths")
		if host == "" {
			continue
		}
		for _, item := range paths {
			path, ok := item.(map[string]interface{})
			if !ok {
				continue
			}
			subPath, _ := path["path"].(string)
			urls[fmt.Sprintf("%s://%s%s", ingressScheme(tls, host), host, strings.TrimSuffix(subPath, "*"))] = true
		}
	}
}

// ingressScheme is https when any TLS entry names a secret or lists the host.
func ingressScheme(tls []interface{}, host string) string {
	for _, item := range tls {
		entry, ok := item.(map[string]interface{})
		if !ok {
			continue
		}
		if entry["secretName"] != nil {
			return "https"
		}
		hosts, _ := entry["hosts"].([]interface{})
		for _, tlsHost := range hosts {
			if tlsHost == host {
				return "https"
			}
		}
	}
	return "http"
}

// loadBalancerAddress is the first hostname or IP of the Ingress's load balancer.
func loadBalancerAddress(ingress *unstructured.Unstructured) string {
	entries, _, _ := unstructured.NestedSlice(ingress.Object, "status", "loadBalancer", "ingress")
	for _, item := range entries {
		entry, ok := item.(map[string]interface{})
		if !ok {
			continue
		}
		for _, field := range []string{"hostname", "ip"} {
			if address, ok := entry[field].(string); ok && address != "" {
				return address
			}
		}
	}
	return ""
}

func sortedSet(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for value := range set {
		out = append(out, value)
	}
	sort.Strings(out)
	return out
}
