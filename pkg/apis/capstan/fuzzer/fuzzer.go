// Package fuzzer holds the fuzz functions that make random capstan.dev objects
// round-trip through every serialization and version.
package fuzzer

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/randfill"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// Funcs returns the fuzz functions of the capstan.dev group.
var Funcs = func(codecs runtimeserializer.CodecFactory) []interface{} {
	return []interface{}{
		// Raw JSON must be a valid, canonical JSON object to survive a JSON or
		// YAML round trip byte for byte. An empty one would come back as nil.
		func(ext *runtime.RawExtension, c randfill.Continue) {
			raw, err := json.Marshal(map[string]string{fmt.Sprintf("key%d", c.Intn(100)): c.String(20)})
			if err != nil {
				panic(err)
			}
			ext.Raw = raw
		},
		// An empty time zone is defaulted to UTC on decoding.
		func(window *capstan.SyncWindow, c randfill.Continue) {
			c.FillNoCustom(window)
			if window.TimeZone == "" {
				window.TimeZone = "UTC"
			}
		},
	}
}
