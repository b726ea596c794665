// Package kubeversion reads the API server's Kubernetes version, so that the
// translation uses the features the cluster has (translate.Features).
package kubeversion

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// Minor asks the API server its minor version (1.<minor>); a suffix such as
// "34+" (some distributions) is dropped.
func Minor(cfg *rest.Config) (int, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return 0, fmt.Errorf("discovery client: %w", err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return 0, fmt.Errorf("ask the API server its version: %w", err)
	}
	minor, err := strconv.Atoi(strings.TrimRightFunc(v.Minor, func(r rune) bool { return r < '0' || r > '9' }))
	if err != nil {
		return 0, fmt.Errorf("the API server's minor version %q: %w", v.Minor, err)
	}
	return minor, nil
}
