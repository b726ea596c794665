// Package kubeversion reads the API server's Kubernetes version and whether
// it serves the Gateway API, so that the translation uses the features the
// cluster has (translate.Features).
package kubeversion

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// httpRouteGroupVersion is where the Gateway API serves HTTPRoute.
const httpRouteGroupVersion = "gateway.networking.k8s.io/v1"

// ServesHTTPRoute asks the API server whether it serves the Gateway API's
// HTTPRoute at gateway.networking.k8s.io/v1 (its CRD is installed): the
// cluster then has Gateway API, with or without a Gateway controller.
func ServesHTTPRoute(ctx context.Context, cfg *rest.Config) (bool, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return false, fmt.Errorf("discovery client: %w", err)
	}
	return servesHTTPRoute(ctx, dc)
}

// resourceLister is the part of a discovery client servesHTTPRoute uses.
type resourceLister interface {
	ServerResourcesForGroupVersionWithContext(ctx context.Context, groupVersion string) (*metav1.APIResourceList, error)
}

func servesHTTPRoute(ctx context.Context, dc resourceLister) (bool, error) {
	resources, err := dc.ServerResourcesForGroupVersionWithContext(ctx, httpRouteGroupVersion)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ask the API server for %s: %w", httpRouteGroupVersion, err)
	}
	for _, r := range resources.APIResources {
		if r.Name == "httproutes" {
			return true, nil
		}
	}
	return false, nil
}
