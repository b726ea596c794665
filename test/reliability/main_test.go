// Package reliability runs Berth as separate operator processes on the
// local control plane and breaks things on purpose: it kills the operator
// between two of its writes (R2), kills or stops the leader of two replicas
// (R1), and looks for a Secret's value wherever the operator could leak it
// (R7, R9). docs/reliability.md has the figures and the commands.
//
// `make test` runs a short version of each test; `make reliability`
// (build tag reliability) runs the long ones.
package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/localcp"
	"github.com/berth-dev/berth/internal/localrun"
	"github.com/berth-dev/berth/internal/operator"
)

// ns is where the tests' objects live.
const ns = "reliability"

// operatorUser is the operator's identity in the audit log.
var operatorUser = "system:serviceaccount:" + localrun.Namespace + ":" + localrun.ServiceAccount

// auditPolicy records the operator's every request with its request and
// response bodies (R9 looks for a Secret's value in them), everyone else's
// writes as metadata, and no Lease renewals (constant background).
var auditPolicy = []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  resources:
  - group: coordination.k8s.io
    resources: ["leases"]
- level: RequestResponse
  users: ["` + operatorUser + `"]
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`)

var (
	cp    *localcp.ControlPlane
	admin client.Client
	// operatorKubeconfig authenticates an operator process as the
	// operator's ServiceAccount, under the generated RBAC.
	operatorKubeconfig string
	saCfg              *rest.Config
	// logDir keeps the operator processes' logs.
	logDir string
)

func TestMain(m *testing.M) {
	if os.Getenv(envRole) != "" {
		os.Exit(runChild())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var err error
	// worldKwokStages: R10's image pull stage (world_test.go).
	cp, err = localcp.Start(ctx, localcp.Options{AuditPolicy: auditPolicy, ExtraKwokStages: worldKwokStages})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local control plane:", err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop local control plane:", err)
		}
	}()
	if err := setUp(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "set up:", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "the operators' logs are kept in", logDir)
	} else {
		_ = os.RemoveAll(logDir)
	}
	return code
}

func setUp(ctx context.Context) error {
	var err error
	if saCfg, err = localrun.Bootstrap(ctx, cp); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if admin, err = client.New(cp.AdminConfig(), client.Options{Scheme: operator.Scheme()}); err != nil {
		return err
	}
	root, err := localrun.Root()
	if err != nil {
		return err
	}
	// Leader election's Role (the Lease in berth-system), as deployed.
	for _, f := range []string{"leader_election_role.yaml", "leader_election_role_binding.yaml"} {
		if _, err := localrun.ApplyFile(ctx, admin, filepath.Join(root, "config", "rbac", f), localrun.Namespace); err != nil {
			return err
		}
	}
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	// Outside the control plane's folder, which Stop removes: kept when
	// a test fails.
	if logDir, err = os.MkdirTemp("", "berth-reliability-"); err != nil {
		return err
	}
	operatorKubeconfig = filepath.Join(cp.Dir(), "operator.kubeconfig")
	return writeKubeconfig(operatorKubeconfig, saCfg)
}

func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["operator"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["operator"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "operator"}
	kc.CurrentContext = "operator"
	return clientcmd.WriteToFile(*kc, path)
}
