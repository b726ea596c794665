package localcp

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// stagesFS holds the kwok Stage objects copied from sigs.k8s.io/kwok v0.8.0:
// node initialisation and lease heartbeat, pods becoming ready, Job pods
// completing, deleted pods going away, and the label-driven
// pod-container-running-failed chaos stage; and Berth's own label-driven
// test stages berth-container-exit (one container exits, the pod keeps
// running) and berth-container-unhealthy (one container is not ready).
//
//go:embed stages/*.yaml
var stagesFS embed.FS

const (
	// FakeNodeAnnotation marks a Node as simulated by kwok; kwok manages only
	// nodes that carry it with the value "fake".
	FakeNodeAnnotation = "kwok.x-k8s.io/node"
	// kwokNodeIP is the InternalIP kwok reports for every node; it is only
	// reported, never contacted.
	kwokNodeIP = "10.0.0.1"
	// kwokPodCIDR is the range kwok assigns pod IPs from.
	kwokPodCIDR = "10.0.0.1/24"
)

// kwokConfig returns kwok's --config content: every embedded Stage followed
// by extra, as one multi-document YAML.
func kwokConfig(extra []byte) ([]byte, error) {
	entries, err := fs.ReadDir(stagesFS, "stages")
	if err != nil {
		return nil, fmt.Errorf("read embedded stages: %w", err)
	}
	var buf bytes.Buffer
	for _, e := range entries {
		data, err := fs.ReadFile(stagesFS, "stages/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read embedded stage %s: %w", e.Name(), err)
		}
		appendDocument(&buf, data)
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
// environment. kwok serves /healthz on serverPort (plain HTTP, loopback).
// HOME points into dir so that a developer's ~/.kwok/kwok.yaml, which kwok
// would otherwise load first, cannot change the simulation.
func kwokArgs(dir, kubeconfig string, serverPort int, extraStages []byte) (args, env []string, err error) {
	cfg, err := kwokConfig(extraStages)
	if err != nil {
		return nil, nil, err
	}
	home := filepath.Join(dir, "kwok")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create kwok dir: %w", err)
	}
	cfgPath := filepath.Join(home, "stages.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, nil, fmt.Errorf("write kwok config: %w", err)
	}
	args = []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + cfgPath,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + FakeNodeAnnotation + "=fake",
		"--cidr=" + kwokPodCIDR,
		"--node-ip=" + kwokNodeIP,
		"--node-lease-duration-seconds=40",
		"--server-address=" + loopbackAddr(serverPort),
	}
	return args, []string{"HOME=" + home}, nil
}

// loopbackAddr returns "127.0.0.1:<port>".
func loopbackAddr(port int) string {
	return "127.0.0.1:" + strconv.Itoa(port)
}
