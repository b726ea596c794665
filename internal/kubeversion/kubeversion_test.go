package kubeversion

import (
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

func TestServesHTTPRoute(t *testing.T) {
	gatewayV1 := &metav1.APIResourceList{GroupVersion: httpRouteGroupVersion, APIResources: []metav1.APIResource{
		{Name: "gateways", Kind: "Gateway"}, {Name: "httproutes", Kind: "HTTPRoute"},
	}}
	onlyGateways := &metav1.APIResourceList{GroupVersion: httpRouteGroupVersion, APIResources: []metav1.APIResource{{Name: "gateways", Kind: "Gateway"}}}
	betaOnly := &metav1.APIResourceList{GroupVersion: "gateway.networking.k8s.io/v1beta1", APIResources: []metav1.APIResource{{Name: "httproutes", Kind: "HTTPRoute"}}}
	for _, tc := range []struct {
		name      string
		resources []*metav1.APIResourceList
		fail      bool
		want      bool
		wantErr   bool
	}{
		{name: "HTTPRoute v1 served", resources: []*metav1.APIResourceList{gatewayV1}, want: true},
		{name: "no Gateway API", resources: nil, want: false},
		{name: "only v1beta1", resources: []*metav1.APIResourceList{betaOnly}, want: false},
		{name: "v1 without HTTPRoute", resources: []*metav1.APIResourceList{onlyGateways}, want: false},
		{name: "discovery fails", fail: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: tc.resources}}
			if tc.fail {
				fake.AddReactor("get", "resource", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, errors.New("connection refused")
				})
			}
			got, err := servesHTTPRoute(t.Context(), fake)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("served %v, want %v", got, tc.want)
			}
		})
	}
}
