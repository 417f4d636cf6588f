package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// writeStatus answers a Kubernetes Status, the shape the app reads every
// error in, with the dashboard's own message.
func writeStatus(w http.ResponseWriter, code int, message string) {
	writeJSON(w, code, &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: message, Code: int32(code),
	})
}

// writeError answers the Status of an API error as the API gave it (403
// from RBAC, 409, 422 keep their code and message), or a 500 naming what
// failed for any other error.
func writeError(w http.ResponseWriter, what string, err error) {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		s := status.Status()
		writeJSON(w, int(s.Code), &s)
		return
	}
	writeStatus(w, http.StatusInternalServerError, what+": "+err.Error())
}

func writeJSON(w http.ResponseWriter, code int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(value)
}
