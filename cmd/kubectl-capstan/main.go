// Command kubectl-capstan is the kubectl plugin for Capstan (`kubectl capstan ...`):
// see package plugin.
package main

import "capstan.dev/capstan/pkg/cmd/plugin"

func main() { plugin.Run() }
