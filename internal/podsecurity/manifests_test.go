package podsecurity

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	sigsyaml "sigs.k8s.io/yaml"
)

// manifests are Berth's own Deployments (config/default installs both).
var manifests = []string{"config/manager/manager.yaml", "config/api/api.yaml"}

// objects decodes the YAML documents of a manifest, by kind.
func objects(t *testing.T, path string) map[string][][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]byte{}
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var meta struct{ Kind string }
		if err := sigsyaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[meta.Kind] = append(out[meta.Kind], doc)
	}
}

// The operator's own pods meet restricted, the level its namespace
// enforces, with the same checks Berth runs on task definitions.
func TestOperatorDeploymentsMeetRestricted(t *testing.T) {
	var deployments int
	for _, path := range manifests {
		for _, doc := range objects(t, path)["Deployment"] {
			var d appsv1.Deployment
			if err := sigsyaml.UnmarshalStrict(doc, &d); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			deployments++
			if got := Evaluate(&d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec); got.Level != Restricted {
				t.Errorf("%s: Deployment %s meets %s, not restricted: %s", path, d.Name, got.Level, strings.Join(got.Reasons, ", "))
			}
		}
	}
	if deployments != 2 {
		t.Fatalf("found %d Deployments in %v; want the manager's and the API endpoint's", deployments, manifests)
	}
}

// berth-system enforces restricted, so that a change to the manifests that
// breaks it fails at once in the cluster too.
func TestOperatorNamespaceEnforcesRestricted(t *testing.T) {
	nss := objects(t, "config/manager/manager.yaml")["Namespace"]
	if len(nss) != 1 {
		t.Fatalf("config/manager/manager.yaml has %d Namespaces; want 1", len(nss))
	}
	var ns corev1.Namespace
	if err := sigsyaml.UnmarshalStrict(nss[0], &ns); err != nil {
		t.Fatal(err)
	}
	if lv, err := Enforced(ns.Labels); err != nil || lv.Level != api.LevelRestricted {
		t.Errorf("namespace %s enforces %s (%v); want restricted", ns.Name, lv, err)
	}
}

// runAsNonRoot makes the kubelet refuse to start an image whose user it
// cannot prove non-root: the image's USER must be a numeric, non-zero UID
// (a name cannot be checked without the image's /etc/passwd).
func TestImageUserIsNumericNonRoot(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var user string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) == 2 && strings.EqualFold(f[0], "USER") {
			user = f[1] // the last USER is the image's
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("Dockerfile: USER %q; want a numeric non-zero UID, which runAsNonRoot can verify", user)
	}
}
