package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// validAppProject returns the brief's production project, which passes validation.
func validAppProject() *capstan.AppProject {
	return &capstan.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: "production"},
		Spec: capstan.AppProjectSpec{
			Description:                "Production applications",
			SourceRepos:                []string{"https://github.com/myorg/*"},
			Destinations:               []capstan.ApplicationDestination{{Namespace: "prod-*", Server: "https://prod.k8s.example.com"}},
			ClusterResourceWhitelist:   []capstan.ClusterResourceRestrictionItem{{Group: "", Kind: "Namespace"}},
			NamespaceResourceBlacklist: []metav1.GroupKind{{Group: "", Kind: "ResourceQuota"}},
			Roles: []capstan.ProjectRole{{
				Name:        "developer",
				Description: "Developer access",
				Policies: []string{
					"p, proj:production:developer, applications, get, production/*, allow",
					"p, proj:production:developer, applications, sync, production/*, allow",
				},
				Groups: []string{"developers"},
			}},
		},
	}
}

// validSyncWindow returns a deny window for every Application at night.
func validSyncWindow() *capstan.SyncWindow {
	return &capstan.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "8h", Applications: []string{"*"}, TimeZone: "UTC"}
}

func TestValidateAppProject(t *testing.T) {
	role := func(p *capstan.AppProject) *capstan.ProjectRole { return &p.Spec.Roles[0] }
	withWindow := func(mutate func(*capstan.SyncWindow)) func(*capstan.AppProject) {
		return func(p *capstan.AppProject) {
			w := validSyncWindow()
			mutate(w)
			p.Spec.SyncWindows = capstan.SyncWindows{w}
		}
	}
	withPolicy := func(policy string) func(*capstan.AppProject) {
		return func(p *capstan.AppProject) { role(p).Policies = []string{policy} }
	}
	policyErr := []wantErr{{field.ErrorTypeInvalid, "spec.roles[0].policies[0]"}}
	scheduleErr := []wantErr{{field.ErrorTypeInvalid, "spec.syncWindows[0].schedule"}}
	cases := []struct {
		name   string
		mutate func(*capstan.AppProject)
		want   []wantErr
	}{
		{name: "the brief's production project is valid", mutate: func(*capstan.AppProject) {}},
		{name: "the default project's permissive spec is valid",
			mutate: func(p *capstan.AppProject) {
				p.Spec = capstan.AppProjectSpec{
					SourceRepos:              []string{"*"},
					Destinations:             []capstan.ApplicationDestination{{Server: "*", Namespace: "*"}},
					ClusterResourceWhitelist: []capstan.ClusterResourceRestrictionItem{{Group: "*", Kind: "*"}},
				}
			}},

		// metadata and description
		{name: "a namespace on the cluster-scoped project is refused",
			mutate: func(p *capstan.AppProject) { p.Namespace = "argocd" },
			want:   []wantErr{{field.ErrorTypeForbidden, "metadata.namespace"}}},
		{name: "a name that is not a DNS subdomain is refused",
			mutate: func(p *capstan.AppProject) { p.Name, p.Spec.Roles = "Team_A", nil },
			want:   []wantErr{{field.ErrorTypeInvalid, "metadata.name"}}},
		{name: "a description over 255 characters is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.Description = strings.Repeat("x", 256) },
			want:   []wantErr{{field.ErrorTypeTooLong, "spec.description"}}},

		// source repositories and namespaces
		{name: "deny patterns in sourceRepos are valid",
			mutate: func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"*", "!https://github.com/evil/*"} }},
		{name: "a sourceRepos pattern denying everything is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"!*"} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.sourceRepos[0]"}}},
		{name: "a sourceRepos pattern with a fragment is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"https://github.com/org/*#x"} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.sourceRepos[0]"}}},
		{name: "a sourceRepos pattern with a password is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"*", "!https://bob:hunter2@github.com/*"} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.sourceRepos[1]"}}},
		{name: "a sourceRepos pattern with ? matching one character is valid",
			mutate: func(p *capstan.AppProject) {
				p.Spec.SourceRepos = []string{"https://git?.example.com/*", "git@github.com:org/*"}
			}},
		{name: "a sourceRepos pattern with an unclosed bracket is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"https://github.com/[org/*"} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.sourceRepos[0]"}}},
		{name: "a repeated sourceRepos pattern is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"https://a/*", "https://a/*"} },
			want:   []wantErr{{field.ErrorTypeDuplicate, "spec.sourceRepos[1]"}}},
		{name: "a malformed sourceNamespaces pattern is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.SourceNamespaces = []string{"team-*", "[x"} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.sourceNamespaces[1]"}}},

		// destinations
		{name: "a destination by cluster name is valid",
			mutate: func(p *capstan.AppProject) {
				p.Spec.Destinations = []capstan.ApplicationDestination{{Name: "prod-*", Namespace: "*"}}
			}},
		{name: "a destination with neither server nor name is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.Destinations = []capstan.ApplicationDestination{{Namespace: "*"}} },
			want:   []wantErr{{field.ErrorTypeRequired, "spec.destinations[0].server"}}},
		{name: "a destination namespace denying everything is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.Destinations[0].Namespace = "!*" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.destinations[0].namespace"}}},
		{name: "a repeated destination is refused",
			mutate: func(p *capstan.AppProject) {
				p.Spec.Destinations = append(p.Spec.Destinations, p.Spec.Destinations[0])
			},
			want: []wantErr{{field.ErrorTypeDuplicate, "spec.destinations[1]"}}},

		// roles
		{name: "a role name starting with a dash is refused",
			mutate: func(p *capstan.AppProject) { role(p).Name = "-dev"; role(p).Policies = nil },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.roles[0].name"}}},
		{name: "a repeated role name is refused",
			mutate: func(p *capstan.AppProject) {
				p.Spec.Roles = append(p.Spec.Roles, capstan.ProjectRole{Name: "developer"})
			},
			want: []wantErr{{field.ErrorTypeDuplicate, "spec.roles[1].name"}}},
		{name: "fine-grained actions and namespaced objects are valid",
			mutate: func(p *capstan.AppProject) {
				role(p).Policies = []string{
					"p, proj:production:developer, applications, action/apps/Deployment/restart, production/*, allow",
					"p, proj:production:developer, applications, update/*/Pod/*/*, production/team-a/web, deny",
					"p, proj:production:developer, logs, get, production/*, allow",
				}
			}},
		{name: "a policy with five fields is refused",
			mutate: withPolicy("p, proj:production:developer, applications, get, production/*"), want: policyErr},
		{name: "a policy for another role's subject is refused",
			mutate: withPolicy("p, proj:production:admin, applications, get, production/*, allow"), want: policyErr},
		{name: "a policy on a global resource is refused",
			mutate: withPolicy("p, proj:production:developer, accounts, get, production/*, allow"), want: policyErr},
		{name: "a policy with an unknown action is refused",
			mutate: withPolicy("p, proj:production:developer, applications, destroy, production/*, allow"), want: policyErr},
		{name: "a policy on another project's objects is refused",
			mutate: withPolicy("p, proj:production:developer, applications, get, staging/*, allow"), want: policyErr},
		{name: "a policy with an unknown effect is refused",
			mutate: withPolicy("p, proj:production:developer, applications, get, production/*, maybe"), want: policyErr},
		{name: "a repeated policy is refused",
			mutate: func(p *capstan.AppProject) { role(p).Policies = append(role(p).Policies, role(p).Policies[0]) },
			want:   []wantErr{{field.ErrorTypeDuplicate, "spec.roles[0].policies[2]"}}},
		{name: "a quoted group with a comma is valid",
			mutate: func(p *capstan.AppProject) { role(p).Groups = []string{`"cn=dev,ou=groups"`} }},
		{name: "an unquoted group with a comma is refused",
			mutate: func(p *capstan.AppProject) { role(p).Groups = []string{"cn=dev,ou=groups"} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.roles[0].groups[0]"}}},

		// resource restrictions
		{name: "a whitelist entry without kind is refused",
			mutate: func(p *capstan.AppProject) {
				p.Spec.ClusterResourceWhitelist = []capstan.ClusterResourceRestrictionItem{{Group: "*"}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.clusterResourceWhitelist[0].kind"}}},
		{name: "a cluster resource name pattern is valid",
			mutate: func(p *capstan.AppProject) {
				p.Spec.ClusterResourceWhitelist = []capstan.ClusterResourceRestrictionItem{{Group: "", Kind: "Namespace", Name: "team1-*"}}
			}},
		{name: "a malformed blacklist kind pattern is refused",
			mutate: func(p *capstan.AppProject) { p.Spec.NamespaceResourceBlacklist = []metav1.GroupKind{{Kind: "[Secret"}} },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.namespaceResourceBlacklist[0].kind"}}},

		// sync windows
		{name: "a sync window with names, ranges, steps and a time zone is valid",
			mutate: withWindow(func(w *capstan.SyncWindow) {
				w.Kind, w.Schedule, w.TimeZone = "allow", "*/15 9-17 ? jan-mar,oct mon-fri", "Europe/Berlin"
			})},
		{name: "a CRON_TZ prefix is valid",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Schedule = "CRON_TZ=America/New_York 0 9 * * 1" })},
		{name: "a window kind other than allow or deny is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Kind = "block" }),
			want:   []wantErr{{field.ErrorTypeNotSupported, "spec.syncWindows[0].kind"}}},
		{name: "a schedule with four fields is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Schedule = "0 22 * *" }), want: scheduleErr},
		{name: "a schedule with minute 60 is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Schedule = "60 22 * * *" }), want: scheduleErr},
		{name: "a schedule with a reversed range is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Schedule = "0 17-9 * * *" }), want: scheduleErr},
		{name: "a schedule with a zero step is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Schedule = "*/0 * * * *" }), want: scheduleErr},
		{name: "a range with a second hyphen is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Schedule = "0--0 0 1 1 0" }), want: scheduleErr},
		{name: "a descriptor schedule is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Schedule = "@daily" }), want: scheduleErr},
		{name: "a duration that does not parse is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Duration = "8 hours" }),
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.syncWindows[0].duration"}}},
		{name: "an unknown time zone is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.TimeZone = "Mars/Olympus_Mons" }),
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.syncWindows[0].timeZone"}}},
		{name: "a window selecting nothing is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Applications = nil }),
			want:   []wantErr{{field.ErrorTypeRequired, "spec.syncWindows[0].applications"}}},
		{name: "a window description over 255 characters is refused",
			mutate: withWindow(func(w *capstan.SyncWindow) { w.Description = strings.Repeat("x", 256) }),
			want:   []wantErr{{field.ErrorTypeTooLong, "spec.syncWindows[0].description"}}},
		{name: "two windows with the same kind, schedule and duration are refused",
			mutate: func(p *capstan.AppProject) {
				p.Spec.SyncWindows = capstan.SyncWindows{validSyncWindow(), validSyncWindow()}
			},
			want: []wantErr{{field.ErrorTypeDuplicate, "spec.syncWindows[1]"}}},

		// other lists
		{name: "an empty signature key is refused",
			mutate: func(p *capstan.AppProject) {
				p.Spec.SignatureKeys = []capstan.SignatureKey{{KeyID: "4AEE18F83AFDEB23"}, {}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.signatureKeys[1].keyID"}}},
		{name: "a destination service account without account is refused",
			mutate: func(p *capstan.AppProject) {
				p.Spec.DestinationServiceAccounts = []capstan.ApplicationDestinationServiceAccount{{Server: "*", Namespace: "prod-*"}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.destinationServiceAccounts[0].defaultServiceAccount"}}},
		{name: "an unknown GPG mode is refused",
			mutate: func(p *capstan.AppProject) {
				p.Spec.SourceIntegrity = &capstan.SourceIntegrity{Git: &capstan.SourceIntegrityGit{Policies: []*capstan.SourceIntegrityGitPolicy{{
					Repos: []capstan.SourceIntegrityGitPolicyRepo{{URL: "https://github.com/myorg/*"}},
					GPG:   &capstan.SourceIntegrityGitPolicyGPG{Mode: "paranoid", Keys: []string{"4AEE18F83AFDEB23"}},
				}}}}
			},
			want: []wantErr{{field.ErrorTypeNotSupported, "spec.sourceIntegrity.git.policies[0].gpg.mode"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			project := validAppProject()
			tc.mutate(project)
			assertErrors(t, ValidateAppProject(project), tc.want)
		})
	}
}

func TestValidateAppProjectUpdate(t *testing.T) {
	oldProject := validAppProject()
	oldProject.ResourceVersion = "1"

	changed := oldProject.DeepCopy()
	changed.Spec.SourceRepos = append(changed.Spec.SourceRepos, "https://github.com/other/*")
	assertErrors(t, ValidateAppProjectUpdate(changed, oldProject), nil)

	renamed := oldProject.DeepCopy()
	renamed.Name = "staging"
	renamed.Spec.Roles = nil // their policies name the project and would be refused too
	assertErrors(t, ValidateAppProjectUpdate(renamed, oldProject), []wantErr{{field.ErrorTypeInvalid, "metadata.name"}})
}
