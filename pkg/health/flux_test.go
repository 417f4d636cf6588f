package health

import "testing"

func TestFluxHealth(t *testing.T) {
	c := &Checker{}
	for _, kind := range []string{"GitRepository", "Bucket", "HelmChart", "OCIRepository", "HelmRepository"} {
		runKind(t, c, "source.toolkit.fluxcd.io/v1", kind, []objectCase{
			{name: "suspended", object: `spec: {suspend: true}`, status: suspended, message: kind + " is suspended"},
			{name: "no conditions", object: `spec: {}`, status: progressing, message: "Status unknown"},
			{name: "ready with its artifact", object: `status: {conditions: [{type: Ready, status: "True", reason: Succeeded}, {type: ArtifactInStorage, status: "True"}]}`,
				status: healthy, message: "Succeeded"},
			{name: "reconciling", object: `status: {conditions: [{type: Reconciling, status: "True"}, {type: Ready, status: Unknown, reason: Progressing}]}`,
				status: progressing, message: "Progressing"},
			{name: "ready without artifact, outdated", object: `status: {conditions: [{type: Ready, status: "True", reason: Succeeded}, {type: ArtifactOutdated, status: "True", reason: NewRevision}]}`,
				status: degraded, message: "Succeeded NewRevision"},
			{name: "failing", object: `status: {conditions: [{type: Ready, status: "False", reason: GitOperationFailed}]}`,
				status: degraded, message: "GitOperationFailed"},
		})
	}
	runKind(t, c, "source.toolkit.fluxcd.io/v1", "HelmRepository", []objectCase{
		{name: "an OCI repository reports nothing", object: `spec: {type: oci}`, status: healthy,
			message: "Helm repositories of type 'oci' do not contain any information in the status."},
		{name: "a suspended OCI repository", object: `spec: {type: oci, suspend: true}`, status: suspended, message: "HelmRepository is suspended"},
	})
	runKind(t, c, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", []objectCase{
		{name: "suspended", object: `spec: {suspend: true}`, status: suspended, message: "Kustomization is suspended"},
		{name: "applied", object: `status: {conditions: [{type: Ready, status: "True", reason: ReconciliationSucceeded}]}`, status: healthy, message: "ReconciliationSucceeded"},
		{name: "reconciling", object: `status: {conditions: [{type: Ready, status: Unknown, reason: Progressing}, {type: Reconciling, status: "True"}]}`,
			status: progressing, message: "Progressing"},
		{name: "failed", object: `status: {conditions: [{type: Ready, status: "False", reason: BuildFailed}]}`, status: degraded, message: "BuildFailed"},
	})
	runKind(t, c, "helm.toolkit.fluxcd.io/v2", "HelmRelease", []objectCase{
		{name: "suspended", object: `spec: {suspend: true}`, status: suspended, message: "HelmRelease is suspended"},
		{name: "released", object: `status: {conditions: [{type: Ready, status: "True", reason: InstallSucceeded}, {type: Released, status: "True"}]}`,
			status: healthy, message: "InstallSucceeded"},
		{name: "tested", object: `status: {conditions: [{type: Ready, status: "True", reason: TestSucceeded}, {type: TestSuccess, status: "True"}]}`,
			status: healthy, message: "TestSucceeded"},
		{name: "installing", object: `status: {conditions: [{type: Ready, status: Unknown, reason: Progressing}, {type: Reconciling, status: "True"}]}`,
			status: progressing, message: "Progressing"},
		{name: "failed", object: `status: {conditions: [{type: Ready, status: "False", reason: InstallFailed}, {type: Released, status: "False"}]}`,
			status: degraded, message: "InstallFailed"},
	})
	runKind(t, c, "image.toolkit.fluxcd.io/v1beta2", "ImageRepository", []objectCase{
		{name: "suspended", object: `spec: {suspend: true}`, status: suspended, message: "ImageRepository is suspended"},
		{name: "scanned", object: `status: {conditions: [{type: Ready, status: "True", reason: Succeeded}]}`, status: healthy, message: "Succeeded"},
		{name: "scanning", object: `status: {conditions: [{type: Ready, status: "False", reason: Progressing}, {type: Reconciling, status: "True", reason: Scanning}]}`,
			status: progressing, message: "Progressing"},
		{name: "reconciling for another reason", object: `status: {conditions: [{type: Ready, status: "False", reason: AuthFailed}, {type: Reconciling, status: "True", reason: Other}]}`,
			status: degraded, message: "AuthFailed"},
	})
	runKind(t, c, "image.toolkit.fluxcd.io/v1beta2", "ImagePolicy", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Status unknown"},
		{name: "a policy has no suspend", object: `spec: {suspend: true}`, status: progressing, message: "Status unknown"},
		{name: "applying", object: `status: {conditions: [{type: Ready, status: "False", reason: Progressing}, {type: Reconciling, status: "True", reason: ApplyingPolicy}]}`,
			status: progressing, message: "Progressing"},
		{name: "resolved", object: `status: {conditions: [{type: Ready, status: "True", reason: Succeeded}]}`, status: healthy, message: "Succeeded"},
	})
	runKind(t, c, "image.toolkit.fluxcd.io/v1beta2", "ImageUpdateAutomation", []objectCase{
		{name: "suspended", object: `spec: {suspend: true}`, status: suspended, message: "ImageUpdateAutomation is suspended"},
		{name: "pushed", object: `status: {conditions: [{type: Ready, status: "True", reason: Succeeded}]}`, status: healthy, message: "Succeeded"},
		{name: "failing", object: `status: {conditions: [{type: Ready, status: "False", reason: GitPushFailed}]}`, status: degraded, message: "GitPushFailed"},
	})
	runKind(t, c, "notification.toolkit.fluxcd.io/v1", "Receiver", []objectCase{
		{name: "no status", object: `{}`, status: progressing, message: "Status unknown"},
		{name: "ready", object: `status: {conditions: [{type: Ready, status: "True", reason: Succeeded}]}`, status: healthy, message: "Succeeded"},
		{name: "not ready", object: `status: {conditions: [{type: Ready, status: "False", reason: TokenNotFound}, {type: Reconciling, status: "True"}]}`,
			status: degraded, message: "TokenNotFound"},
	})
}
