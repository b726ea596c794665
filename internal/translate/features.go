package translate

// Features are the Kubernetes features a translation may use, by the API
// server's minor version: Berth falls back, with a note, where an older
// cluster lacks a feature. OldestTestedMinor is the oldest minor it is
// tested on (make test-k8s-min); older ones get a warning at start-up.
type Features struct {
	// KubernetesMinor is the API server's minor version (1.<minor>); 0
	// means the newest, with every feature.
	KubernetesMinor int
	// SchedulerProfiles: the cluster's kube-scheduler runs Berth's profiles
	// for the binpack and random placement strategies (the local control
	// plane does; docs/capacity.md shows them for kind and k3d).
	SchedulerProfiles bool
	// GatewayAPI: the API server serves the Gateway API's HTTPRoute at
	// gateway.networking.k8s.io/v1 (the local control plane installs its
	// CRDs), so that a deployment's traffic can be shifted by HTTPRoute
	// weights (HTTPRoutes); without it, by the ratio of ready tasks behind
	// the target group's Kubernetes Service (ServingSplit). Read once, at
	// start-up.
	GatewayAPI bool
}

// OldestTestedMinor is the oldest Kubernetes minor Berth supports and tests
// (envtest of the API, translation and TaskDefinition suites).
const OldestTestedMinor = 34

// Kubernetes versions that enable the features Berth uses by default.
const (
	minorPodLevelResources     = 34 // KEP-2837 beta
	minorContainerRestartRules = 35 // KEP-5307 beta
	minorHostnameOverride      = 35 // beta
)

func (f Features) has(minor int) bool { return f.KubernetesMinor == 0 || f.KubernetesMinor >= minor }

// PodLevelResources: pod-level requests and limits (the task size).
func (f Features) PodLevelResources() bool { return f.has(minorPodLevelResources) }

// ContainerRestartRules: container-level restartPolicy on regular
// containers, and restart rules.
func (f Features) ContainerRestartRules() bool { return f.has(minorContainerRestartRules) }

// HostnameOverride: a pod hostname that is any DNS subdomain.
func (f Features) HostnameOverride() bool { return f.has(minorHostnameOverride) }
