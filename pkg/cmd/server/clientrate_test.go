package server

import (
	"testing"

	"k8s.io/client-go/rest"
)

func TestClientRateApplySetsTheLimitOnACopy(t *testing.T) {
	options := NewClientRateOptions()
	original := &rest.Config{Host: "https://127.0.0.1:6443"}
	limited := options.apply(original)
	if limited.QPS != -1 || limited.Burst != 100 {
		t.Errorf("QPS, Burst = %v, %v; want -1 (no limit), 100", limited.QPS, limited.Burst)
	}
	if original.QPS != 0 || original.Burst != 0 {
		t.Errorf("the original config was changed: QPS %v, Burst %v", original.QPS, original.Burst)
	}
	if options.apply(nil) != nil {
		t.Errorf("a nil config did not stay nil")
	}
}

func TestClientRateValidateNeedsABurstForAPositiveQPS(t *testing.T) {
	if errs := (&ClientRateOptions{QPS: 10, Burst: 0}).Validate(); len(errs) != 1 {
		t.Errorf("QPS 10, Burst 0: %d errors, want 1", len(errs))
	}
	if errs := (&ClientRateOptions{QPS: -1}).Validate(); len(errs) != 0 {
		t.Errorf("QPS -1 (no limit): %v, want no error", errs)
	}
}
