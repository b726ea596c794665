package localcp

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berth-dev/berth/internal/localcp/kwoknode"
)

// kwokFS holds kwok's configuration objects, each file copied from
// sigs.k8s.io/kwok v0.8.0 unless its header says otherwise.
//
// stages/ are the Stage objects: node initialisation and lease heartbeat,
// pods becoming ready, Job pods completing, deleted pods going away, and the
// label-driven pod-container-running-failed chaos stage; Berth's own
// label-driven test stages berth-container-exit (one container exits, the
// pod keeps running) and berth-container-unhealthy (one container is not
// ready); Berth's berth-pod-deadline, which fails a Berth pod whose
// spec.activeDeadlineSeconds is set, as a kubelet does once it has passed
// (Berth stops the tasks it keeps for their logs that way); and Berth's
// berth-node-endpoint, which reports the address and
// kubelet port that metrics-server needs on a node created Ready (as Berth's
// kwok provisioner creates them), which node-initialize skips; and Berth's
// berth-pod-ready-again, which makes a running pod Ready again once the
// node lifecycle controller had marked it not ready while its node was
// unreachable, as the kubelet does when its node is back.
//
// crds/ (kwokcrds.go) are kwok's Logs and ClusterLogs kinds, which kwok
// reads from the API server: a Logs object names the file kwok serves as a
// pod's container log.
//
// metrics/ are the simulated kubelet resource metrics that metrics-server
// scrapes: the Metric object metrics-resource (kwok's
// kustomize/metrics/resource), which serves every node's
// /metrics/resource at /metrics/nodes/<node>/metrics/resource on kwok's
// server, and the ClusterResourceUsage usage-from-annotation (kwok's
// kustomize/metrics/usage), which takes a pod's usage from its annotations
// kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory (default 1m and
// 1Mi).
//
//go:embed stages/*.yaml metrics/*.yaml
var kwokFS embed.FS

// kwokConfigDirs are the folders of kwokFS, in the order kwok reads them.
var kwokConfigDirs = []string{"stages", "metrics"}

const (
	// FakeNodeAnnotation marks a Node as simulated by kwok; kwok manages only
	// nodes that carry it with the value "fake". kwoknode.Annotate sets it.
	FakeNodeAnnotation = kwoknode.Annotation
	// kwokNodeIP is the InternalIP kwok reports for every node (and so the
	// hostIP of every pod, and the podIP of hostNetwork pods). metrics-server
	// scrapes each node's simulated kubelet metrics at this address, on the
	// port kwok reports as the node's kubelet port: kwok's own server, on
	// loopback. A Service that selects hostNetwork pods gets no
	// EndpointSlice, as endpoints may not be loopback addresses; nothing
	// routes to kwok pods anyway.
	kwokNodeIP = "127.0.0.1"
	// kwokPodCIDR is the range kwok assigns pod IPs from.
	kwokPodCIDR = "10.0.0.1/24"
)

// kwokOptions raise the stages kwok plays at once from its default of 4:
// each play is a request (a pod's status, its deletion), so under load 4
// bounded the simulated kubelets to ~10 pods a second: a scale-in of
// 10,000 tasks took over 15 minutes, with kwok itself idle. kwok does not
// default a configuration it reads, so every other option is kwok
// v0.8.0's default (config/v1alpha1 SetObjectDefaults_KwokConfiguration);
// the flags set the rest.
const kwokOptions = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageAllNodes: false
  enableDebuggingHandlers: true
  enableContentionProfiling: false
  enableProfilingHandler: true
  podPlayStageParallelism: 32
  nodePlayStageParallelism: 8
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
  enablePodsOnNodeSyncStreamWatch: false
`

// kwokConfig returns kwok's --config content: kwok's options, every
// embedded object (the stages, then the metrics) followed by extra, as one
// multi-document YAML.
func kwokConfig(extra []byte, metrics bool) ([]byte, error) {
	var buf bytes.Buffer
	appendDocument(&buf, []byte(kwokOptions))
	dirs := kwokConfigDirs
	if !metrics {
		dirs = dirs[:1]
	}
	for _, dir := range dirs {
		entries, err := fs.ReadDir(kwokFS, dir)
		if err != nil {
			return nil, fmt.Errorf("read embedded kwok %s: %w", dir, err)
		}
		for _, e := range entries {
			data, err := fs.ReadFile(kwokFS, dir+"/"+e.Name())
			if err != nil {
				return nil, fmt.Errorf("read embedded kwok %s/%s: %w", dir, e.Name(), err)
			}
			appendDocument(&buf, data)
		}
	}
	if len(bytes.TrimSpace(extra)) > 0 {
		appendDocument(&buf, extra)
	}
	return buf.Bytes(), nil
}

// appendDocument appends one or more YAML documents to buf, separated from
// what is already there by "---".
func appendDocument(buf *bytes.Buffer, doc []byte) {
	if buf.Len() > 0 {
		buf.WriteString("---\n")
	}
	buf.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		buf.WriteByte('\n')
	}
}

// kwokArgs writes kwok's config file to dir and returns kwok's flags and
// environment. kwok serves /healthz and the nodes' simulated kubelet API
// (HTTP and, with a self-signed certificate, HTTPS) on serverPort, on
// loopback, and reports that port as every node's kubelet port, which
// metrics-server uses. HOME points into dir so that a developer's
// ~/.kwok/kwok.yaml, which kwok would otherwise load first, cannot change
// the simulation.
func kwokArgs(dir, kubeconfig string, serverPort int, extraStages []byte, metrics bool) (args, env []string, err error) {
	cfg, err := kwokConfig(extraStages, metrics)
	if err != nil {
		return nil, nil, err
	}
	home := filepath.Join(dir, "kwok")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create kwok dir: %w", err)
	}
	cfgPath := filepath.Join(home, "config.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, nil, fmt.Errorf("write kwok config: %w", err)
	}
	args = []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + cfgPath,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + kwoknode.Annotation + "=" + kwoknode.Value,
		"--cidr=" + kwokPodCIDR,
		"--node-ip=" + kwokNodeIP,
		"--node-port=" + strconv.Itoa(serverPort),
		"--node-lease-duration-seconds=40",
		"--server-address=" + loopbackAddr(serverPort),
		"--enable-crds=" + kwokCRDKinds,
	}
	return args, []string{"HOME=" + home}, nil
}

// loopbackAddr returns "127.0.0.1:<port>".
func loopbackAddr(port int) string {
	return "127.0.0.1:" + strconv.Itoa(port)
}
