package localcp

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

const (
	// serviceClusterIPRange is the range of Service cluster IPs; its first
	// address is the "kubernetes" Service, which the serving cert covers.
	serviceClusterIPRange = "10.96.0.0/16"
	kubernetesServiceIP   = "10.96.0.1"
	// advertiseAddress is what kube-apiserver advertises. It is never
	// contacted: with --endpoint-reconciler-type=none it only has to be a
	// non-loopback address, which kube-apiserver insists on.
	advertiseAddress = "10.0.0.1"
	// serviceAccountIssuer is the issuer of service-account tokens.
	serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"
)

// ports are the loopback TCP ports of the control plane's processes.
type ports struct {
	etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok, metricsServer int
}

// layout is where a control plane keeps its files and which ports it uses.
type layout struct {
	dir        string // the working directory
	logDir     string // <dir>/logs
	kubeconfig string // admin kubeconfig
	tokenFile  string // kube-apiserver --token-auth-file
	pki        *pkiFiles
	ports      ports
}

// allocatePorts picks free ephemeral ports on 127.0.0.1. All listeners stay
// open until every port is chosen, so the ports are distinct.
func allocatePorts() (ports, error) {
	var p ports
	targets := []*int{&p.etcdClient, &p.etcdPeer, &p.apiserver, &p.controllerManager, &p.scheduler, &p.kwok, &p.metricsServer}
	for _, t := range targets {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("allocate loopback port: %w", err)
		}
		defer func() { _ = l.Close() }()
		*t = l.Addr().(*net.TCPAddr).Port
	}
	return p, nil
}

// writeTokenFile writes kube-apiserver's static token file with one user,
// "berth-admin", in the group system:masters.
func writeTokenFile(path, token string) error {
	line := token + ",berth-admin,berth-admin,\"system:masters\"\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

func (l *layout) etcdURL() string {
	return "http://" + loopbackAddr(l.ports.etcdClient)
}

// apiserverURL is the address clients use.
func (l *layout) apiserverURL() string {
	return "https://" + loopbackAddr(l.ports.apiserver)
}

func etcdArgs(l *layout) []string {
	peer := "http://" + loopbackAddr(l.ports.etcdPeer)
	return []string{
		"--name=localcp",
		"--data-dir=" + filepath.Join(l.dir, "etcd"),
		"--listen-client-urls=" + l.etcdURL(),
		"--advertise-client-urls=" + l.etcdURL(),
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=localcp=" + peer,
		"--unsafe-no-fsync", // throw-away data: durability is not needed, speed is
		"--log-level=warn",
	}
}

func apiserverArgs(l *layout, o Options) []string {
	args := []string{
		"--etcd-servers=" + l.etcdURL(),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(l.ports.apiserver),
		"--advertise-address=" + advertiseAddress,
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(l.dir, "kube-apiserver"),
		"--tls-cert-file=" + l.pki.servingCert,
		"--tls-private-key-file=" + l.pki.servingKey,
		"--client-ca-file=" + l.pki.caCert,
		"--token-auth-file=" + l.tokenFile,
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + l.pki.saPub,
		"--service-account-signing-key-file=" + l.pki.saKey,
		"--service-cluster-ip-range=" + serviceClusterIPRange,
		"--allow-privileged=true",
		// The aggregation layer: the requestheader CA is what the controller
		// manager and the scheduler (and any aggregated API server) trust
		// for front-proxy requests.
		"--requestheader-client-ca-file=" + l.pki.frontProxyCACert,
		"--requestheader-allowed-names=" + frontProxyClientName,
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + l.pki.frontProxyClientCert,
		"--proxy-client-key-file=" + l.pki.frontProxyClientKey,
		"--enable-aggregator-routing=true", // no kube-proxy: reach aggregated servers by endpoint
	}
	if o.Profile == ProfileUnthrottled {
		args = append(args, "--max-requests-inflight=0", "--max-mutating-requests-inflight=0", "--enable-priority-and-fairness=false")
	}
	if len(o.AuditPolicy) > 0 {
		args = append(args,
			"--audit-policy-file="+filepath.Join(l.dir, "audit-policy.yaml"),
			"--audit-log-path="+filepath.Join(l.dir, "audit.log"),
			"--audit-log-format=json",
			"--audit-log-mode=batch", // buffered: the log does not slow the requests it records
			"--audit-log-batch-max-wait=1s",
			"--audit-log-maxsize=0", // never rotate: readers follow one file
		)
	}
	return args
}

// unthrottledClientArgs are kwokctl's --disable-qps-limits client flags.
var unthrottledClientArgs = []string{"--kube-api-qps=5000", "--kube-api-burst=10000"}

func controllerManagerArgs(l *layout, p Profile) []string {
	args := []string{
		"--kubeconfig=" + l.kubeconfig,
		"--authentication-kubeconfig=" + l.kubeconfig,
		"--authorization-kubeconfig=" + l.kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(l.ports.controllerManager),
		"--cert-dir=" + filepath.Join(l.dir, "kube-controller-manager"),
		"--controllers=*,-nodeipam", // keep nodelifecycle: it lifts the not-ready taint
		"--service-account-private-key-file=" + l.pki.saKey,
		"--root-ca-file=" + l.pki.caCert,
		"--cluster-signing-cert-file=" + l.pki.caCert,
		"--cluster-signing-key-file=" + l.pki.caKey,
		"--use-service-account-credentials=true",
		"--leader-elect=false",
	}
	args = append(args, hpaArgs...)
	if p == ProfileUnthrottled {
		args = append(args, unthrottledClientArgs...)
	}
	return args
}

// hpaArgs make the HorizontalPodAutoscaler controller follow kwok's
// simulated usage promptly (see k8s.io/kubernetes v1.37.2,
// pkg/controller/podautoscaler/replica_calculator.go, groupPods):
//   - it syncs every 5 seconds instead of 15;
//   - the CPU initialization period is 10 seconds instead of 5 minutes.
//     Within it after a pod's start, the pod's CPU sample counts only if the
//     pod is ready and the sample's window (between two metrics-server
//     scrapes) began after the pod became ready; otherwise the pod counts
//     as unready (0 % on a scale-out, left out on a scale-in). It is there
//     to skip the start-up burst of real applications; simulated usage has
//     none. No pod has a sample within 10 seconds of its start
//     (metrics-server's resolution), so a ready kwok pod always counts.
//     After the period, as on any cluster after 5 minutes, an unready pod
//     counts too unless it turned unready within the initial readiness delay
//     of its start (never was ready).
//
// The initial readiness delay (30 seconds) keeps its default: after the
// initialization period it only decides whether a pod that turned unready
// within that delay of its start is skipped as never ready; kwok pods are
// ready within a second, so lowering it would only count pods that never
// were ready. The downscale stabilization window (5 minutes) keeps its
// default too: Berth's HorizontalPodAutoscalers set their own behaviour.
var hpaArgs = []string{
	"--horizontal-pod-autoscaler-sync-period=5s",
	"--horizontal-pod-autoscaler-cpu-initialization-period=10s",
}

func schedulerArgs(l *layout) []string {
	return []string{
		"--config=" + schedulerConfigPath(l),
		"--authentication-kubeconfig=" + l.kubeconfig,
		"--authorization-kubeconfig=" + l.kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(l.ports.scheduler),
		"--cert-dir=" + filepath.Join(l.dir, "kube-scheduler"),
	}
}

func schedulerConfigPath(l *layout) string { return filepath.Join(l.dir, "kube-scheduler.yaml") }

// schedulerConfig is kube-scheduler's configuration: the default profile
// and Berth's profiles for ECS's binpack (the node with the least remaining
// cpu or memory that fits: NodeResourcesFit scoring MostAllocated, the only
// score) and
// random (no scoring: a random feasible node) placement strategies. The
// unthrottled profile lifts the client's rate limits, as kwokctl's
// --disable-qps-limits does.
func schedulerConfig(l *layout, p Profile) []byte {
	qps := ""
	if p == ProfileUnthrottled {
		qps = "\n  qps: 5000\n  burst: 10000"
	}
	return []byte(fmt.Sprintf(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %q%s
leaderElection:
  leaderElect: false
profiles:
- schedulerName: default-scheduler
%s%s- schedulerName: berth-random
  plugins:
    score:
      disabled: [{name: "*"}]
`, l.kubeconfig, qps, binpackProfile("cpu"), binpackProfile("memory")))
}

// binpackProfile is the scheduler profile of ECS's binpack on a resource:
// NodeResourcesFit scoring MostAllocated on it, the only score.
func binpackProfile(res string) string {
	return fmt.Sprintf(`- schedulerName: berth-binpack-%s
  plugins:
    score:
      disabled: [{name: "*"}]
      enabled: [{name: NodeResourcesFit, weight: 1}]
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources: [{name: %s, weight: 1}]
`, res, res)
}
