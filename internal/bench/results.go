package bench

import "time"

// Report is everything one `make bench` run measured. It is written as
// docs/bench/results.json and rendered as docs/bench/README.md with plots.
type Report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  Machine   `json:"machine"`
	Config   Config    `json:"config"`
	// Calibration is the control plane's raw write ceiling (B8 step 0).
	Calibration *Calibration `json:"calibration,omitempty"`
	M1          []M1Result   `json:"m1,omitempty"`
	M2          *M2Result    `json:"m2,omitempty"`
	M3          *M3Result    `json:"m3,omitempty"`
	M4          []M4Result   `json:"m4,omitempty"`
	M5          *M5Result    `json:"m5,omitempty"`
	// A1 is the ECS API endpoint's reads against the same reads through
	// Kubernetes.
	A1 *A1Result `json:"a1,omitempty"`
	// L1 is FilterLogEvents through the endpoint against `kubectl logs |
	// grep` of the same logs.
	L1 *L1Result `json:"l1,omitempty"`
	// S1 is the sharding simulation: the same Services converged by one
	// operator, then by one operator per namespace group.
	S1 *S1Result `json:"s1,omitempty"`
	// K1 is the operator's memory and CPU per kind, and as Services grow
	// to 10,000 (M3 at scale).
	K1 *K1Result `json:"k1,omitempty"`
	// WritesPerService is what a new Service costs in operator writes
	// (budget.go).
	WritesPerService *WriteBudget `json:"writes_per_service,omitempty"`
	// Verdicts compare the figures with the targets.
	Verdicts []Verdict `json:"verdicts"`
	// Notes explain what bounds a figure, what was approximated, and why a
	// target was missed.
	Notes []string `json:"notes,omitempty"`
}

// Machine identifies where the run happened.
type Machine struct {
	CPUModel          string  `json:"cpuModel"`
	Cores             int     `json:"cores"`
	GOMAXPROCS        int     `json:"gomaxprocs"`
	MemoryGiB         float64 `json:"memoryGiB"`
	Kernel            string  `json:"kernel"`
	GoVersion         string  `json:"goVersion"`
	KubernetesVersion string  `json:"kubernetesVersion"`
	EtcdVersion       string  `json:"etcdVersion"`
	KwokVersion       string  `json:"kwokVersion"`
	BerthCommit       string  `json:"berthCommit"`
}

// Config is how the run was set up.
type Config struct {
	// Profiles run, "unthrottled" (kwok's --disable-qps-limits) and/or
	// "default" (stock component limits).
	Profiles []string `json:"profiles"`
	// Pairs is how many A/B pairs each M1 comparison runs.
	Pairs int `json:"pairs"`
	// MaxConcurrentReconciles of the operator; the baseline uses as many
	// workers.
	MaxConcurrentReconciles int `json:"maxConcurrentReconciles"`
	// Nodes per capacity provider pool, and pods each node holds.
	NodesPerPool int `json:"nodesPerPool"`
	PodsPerNode  int `json:"podsPerNode"`
	// Quick marks a reduced run (smoke, or -quick): not comparable to the
	// full figures.
	Quick bool `json:"quick,omitempty"`
	// Large marks `make bench-large`'s run (the scenarios that do not fit
	// make bench's time): its duration is not judged.
	Large bool `json:"large,omitempty"`
	// Stopped is why the run ended before its last scenario: the
	// verdicts are those of what it measured.
	Stopped string `json:"stopped,omitempty"`
}

// Calibration is the raw write ceiling of the control plane: ConfigMaps
// created by a bare client-go program at several concurrencies.
type Calibration struct {
	Objects int                `json:"objects"`
	Points  []CalibrationPoint `json:"points"`
	// WritesPerSecond is the best sustained rate over the concurrencies.
	WritesPerSecond float64 `json:"writesPerSecond"`
}

// CalibrationPoint is one concurrency's result.
type CalibrationPoint struct {
	Concurrency     int     `json:"concurrency"`
	WritesPerSecond float64 `json:"writesPerSecond"`
	P50Ms           float64 `json:"p50Ms"`
	P99Ms           float64 `json:"p99Ms"`
}

// Point is a sample of a progress curve: at T seconds after the start,
// Value objects had reached the goal (pods Running, Services Ready).
type Point struct {
	T     float64 `json:"t"`
	Value int     `json:"v"`
}

// Run is one side of an A/B pair.
type Run struct {
	// Side is "berth" or "baseline".
	Side string `json:"side"`
	Pair int    `json:"pair"`
	// Seconds is T_full (the compass' M1): first create to every task
	// Running, every workload existing.
	Seconds float64 `json:"seconds"`
	// OpSeconds is T_op (Berth only): first create to every Service Ready
	// (ECS's services-stable) with observedGeneration current.
	OpSeconds float64 `json:"opSeconds,omitempty"`
	// CompletedSeconds (the last pair of a cell only) is first create to
	// every deployment done: for Berth its rolloutState COMPLETED, for the
	// baseline every Deployment complete (observed, all replicas updated
	// and available: what `kubectl rollout status` waits for). Both wait
	// the 40 s ECS counts a task without a health check as starting
	// (minReadySeconds). Writes of such a run are counted to this point,
	// of the others to T_full; CPU always to T_full.
	CompletedSeconds float64 `json:"completedSeconds,omitempty"`
	// CreateSeconds is how long submitting the objects took.
	CreateSeconds float64 `json:"createSeconds"`
	// DeploymentsSeconds is first create to every Deployment existing.
	DeploymentsSeconds float64 `json:"deploymentsSeconds"`
	// Pods is the progress curve of Running pods.
	Pods []Point `json:"pods,omitempty"`
	// Writes counts mutating requests during the run by who made them
	// (berth, baseline, kube-controller-manager, kube-scheduler, kwok,
	// other), from the audit log.
	Writes map[string]int `json:"writes,omitempty"`
	// BerthWrites are the operator's mutating requests by verb and
	// resource.
	BerthWrites map[string]int `json:"berthWrites,omitempty"`
	// CPUSeconds is the CPU time each process used during the run
	// (etcd, kube-apiserver, ..., operator, harness).
	CPUSeconds map[string]float64 `json:"cpuSeconds,omitempty"`
}

// M1Result is bulk convergence for one (profile, N, tasks) cell.
type M1Result struct {
	Profile  string `json:"profile"`
	Services int    `json:"services"`
	Tasks    int    `json:"tasksPerService"`
	Runs     []Run  `json:"runs"`
	// Medians over the pairs, in seconds.
	MedianBerth    float64 `json:"medianBerthSeconds"`
	MedianBaseline float64 `json:"medianBaselineSeconds"`
	// Ratio is the median of the per-pair ratios T_full(Berth)/T_full(baseline).
	Ratio      float64   `json:"ratio"`
	PairRatios []float64 `json:"pairRatios"`
	// OpRatio is the median of the per-pair ratios T_op(Berth)/T_full(baseline).
	OpRatio float64 `json:"opRatio"`
	// CompletedRatio is CompletedSeconds(Berth)/CompletedSeconds(baseline)
	// of the pair that waited for it (0 when none did).
	CompletedRatio float64 `json:"completedRatio,omitempty"`
	// ServicesPerSecond is Services / MedianBerth.
	ServicesPerSecond float64 `json:"servicesPerSecond"`
	// BerthWritesPerService is the operator's mutating requests per
	// Service, counted to every deployment COMPLETED (the median of the
	// runs that waited for it).
	BerthWritesPerService float64 `json:"berthWritesPerService"`
}

// M2Result is writes on a no-op resync.
type M2Result struct {
	Services int `json:"services"`
	// WindowSeconds is how long after the restart writes were counted.
	WindowSeconds float64 `json:"windowSeconds"`
	// ReconcilesObserved is how many reconciles the restarted operator ran
	// in the window (from its metrics): proof that it did resync.
	ReconcilesObserved int `json:"reconcilesObserved"`
	// MutatingRequests is the operator's create/update/patch/delete
	// requests in the window (audit log), by verb and resource.
	MutatingRequests int            `json:"mutatingRequests"`
	ByVerbResource   map[string]int `json:"byVerbResource,omitempty"`
	// ResourceVersionChanges is how many watch MODIFIED events Berth's
	// objects (ECS kinds and the Deployments) saw in the window.
	ResourceVersionChanges int `json:"resourceVersionChanges"`
}

// Memory is one process's memory in MiB.
type Memory struct {
	// GoMiB is the Go runtime's live memory: go_memory_classes_total −
	// heap released − heap unused − heap free.
	GoMiB float64 `json:"goMiB"`
	// HeapInuseMiB is go_memstats_heap_inuse_bytes.
	HeapInuseMiB float64 `json:"heapInuseMiB"`
	RSSMiB       float64 `json:"rssMiB"`
	// PeakRSSMiB is the process's high-water mark (VmHWM), reached while
	// it listed the world at start-up.
	PeakRSSMiB float64 `json:"peakRSSMiB"`
}

// M3Result is operator memory against a bare manager with the same
// watches and a no-op reconcile, empty and with Services objects.
type M3Result struct {
	Services     int    `json:"services"`
	OperatorIdle Memory `json:"operatorIdle"`
	BareIdle     Memory `json:"bareIdle"`
	Operator     Memory `json:"operator"`
	Bare         Memory `json:"bare"`
	// OverheadMiBPer1000 is (operator − bare) Go memory at Services,
	// scaled to 1,000 Services.
	OverheadMiBPer1000 float64 `json:"overheadMiBPer1000"`
	// SlopeMiBPer1000 is the operator's own growth per 1,000 Services
	// (loaded − idle), and BareSlopeMiBPer1000 the bare manager's.
	SlopeMiBPer1000     float64 `json:"slopeMiBPer1000"`
	BareSlopeMiBPer1000 float64 `json:"bareSlopeMiBPer1000"`
}

// M4Result is edit-to-template latency at one edit rate.
type M4Result struct {
	// Side is "berth" (Service taskDefinition edit → Deployment template)
	// or "baseline" (Deployment template edit → watch event).
	Side          string  `json:"side"`
	Services      int     `json:"services"`
	RatePerSecond float64 `json:"ratePerSecond"`
	Edits         int     `json:"edits"`
	Missed        int     `json:"missed"`
	P50Ms         float64 `json:"p50Ms"`
	P90Ms         float64 `json:"p90Ms"`
	P99Ms         float64 `json:"p99Ms"`
	MaxMs         float64 `json:"maxMs"`
	// LatenciesMs are every edit's latency, sorted.
	LatenciesMs []float64 `json:"latenciesMs,omitempty"`
	// InOrderP50Ms are the medians of each tenth of the edits, in the
	// order they were sent: rising when a queue builds up.
	InOrderP50Ms []float64 `json:"inOrderP50Ms,omitempty"`
	// Berth's side: the Service controller while the edits went on, from
	// the operator's metrics: reconciles, the p99 of the time a Service
	// waited in the workqueue and of a reconcile.
	Reconciles     int     `json:"reconciles,omitempty"`
	QueueWaitP99Ms float64 `json:"queueWaitP99Ms,omitempty"`
	ReconcileP99Ms float64 `json:"reconcileP99Ms,omitempty"`
	ReconcileP50Ms float64 `json:"reconcileP50Ms,omitempty"`
	QueueWaitP50Ms float64 `json:"queueWaitP50Ms,omitempty"`
}

// APILatency is the apiserver's p99 for one (resource, verb) over M5.
type APILatency struct {
	Resource string  `json:"resource"`
	Verb     string  `json:"verb"`
	Count    int     `json:"count"`
	P99Ms    float64 `json:"p99Ms"`
}

// M5Result is 1,000 Services × 10 tasks over two capacity providers.
type M5Result struct {
	Services        int      `json:"services"`
	TasksPerService int      `json:"tasksPerService"`
	Providers       []string `json:"providers"`
	// Seconds is first create to every task Running and every Service
	// Ready.
	Seconds float64 `json:"seconds"`
	Pods    []Point `json:"pods,omitempty"`
	// PodStartup is pod create → Running seen by watch.
	PodStartupP50Ms float64 `json:"podStartupP50Ms"`
	PodStartupP99Ms float64 `json:"podStartupP99Ms"`
	// TasksPerProvider counts Running pods by capacity provider.
	TasksPerProvider map[string]int `json:"tasksPerProvider"`
	APILatencies     []APILatency   `json:"apiLatencies"`
	// Operator workqueue figures per controller: the deepest the queue
	// got, retries and reconcile errors.
	QueueDepthMax   map[string]float64 `json:"queueDepthMax"`
	Retries         map[string]float64 `json:"retries"`
	ReconcileErrors map[string]float64 `json:"reconcileErrors"`
	Reconciles      map[string]float64 `json:"reconciles"`
	Writes          map[string]int     `json:"writes,omitempty"`
	OperatorMemory  Memory             `json:"operatorMemory"`
	// ScaleToZeroSeconds: every Service set to desiredCount 0 → no task
	// left; ScaleBackSeconds: back to TasksPerService → every task
	// Running again.
	ScaleToZeroSeconds float64 `json:"scaleToZeroSeconds"`
	ScaleBackSeconds   float64 `json:"scaleBackSeconds"`
}

// A1Result is DescribeServices of the Services and ListTasks of their
// tasks through Berth's ECS API endpoint (the Go AWS SDK v2, SigV4), and
// the same objects read through Kubernetes (client-go, kubectl) by the
// same user.
type A1Result struct {
	Services        int `json:"services"`
	TasksPerService int `json:"tasksPerService"`
	// Tasks is the running tasks ListTasks lists.
	Tasks int `json:"tasks"`
	// PageSize is ListTasks' maxResults and the client-go pages' limit.
	PageSize int `json:"pageSize"`
	// Clients read at once for ThroughputSeconds to measure reads/s.
	Clients           int     `json:"clients"`
	ThroughputSeconds float64 `json:"throughputSeconds"`
	// Kubectl is the kubectl binary and version used; empty when none was
	// found (no kubectl reads).
	Kubectl string   `json:"kubectl,omitempty"`
	Reads   []A1Read `json:"reads"`
}

// A1Read is one kind of read.
type A1Read struct {
	// Client is "ecs-api", "client-go" or "kubectl".
	Client string `json:"client"`
	Read   string `json:"read"`
	// Requests is the HTTP requests one read makes (0 for kubectl, a
	// process per read).
	Requests int `json:"requests"`
	// Samples is the sequential reads P50Ms and P99Ms are taken over.
	Samples int     `json:"samples"`
	P50Ms   float64 `json:"p50Ms"`
	P99Ms   float64 `json:"p99Ms"`
	// ReadsPerSecond is the reads completed per second with Clients
	// reading at once; RequestsPerSecond is that times Requests.
	ReadsPerSecond    float64 `json:"readsPerSecond"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`
}

// L1Result is FilterLogEvents over a Service's task logs through Berth's
// endpoint (the Go AWS SDK v2's paginator, SigV4) against `kubectl logs |
// grep` of each task's log by the same user: every search covers Lines
// lines and finds MatchesPerSearch.
type L1Result struct {
	Streams        int `json:"streams"`
	LinesPerStream int `json:"linesPerStream"`
	Lines          int `json:"lines"`
	// Bytes is the size of the log files (CRI format, kubelet timestamps
	// included).
	Bytes            int64 `json:"bytes"`
	MatchesPerSearch int   `json:"matchesPerSearch"`
	// Samples is the sequential runs of each search.
	Samples int `json:"samples"`
	// Kubectl is the kubectl binary and version used; empty when none was
	// found (no kubectl searches).
	Kubectl  string     `json:"kubectl,omitempty"`
	Searches []L1Search `json:"searches"`
}

// L1Search is one search, timed over its samples.
type L1Search struct {
	// Client is "logs-api" or "kubectl".
	Client string `json:"client"`
	Search string `json:"search"`
	// Matches is the lines the search found (each sample found as many).
	Matches int `json:"matches"`
	// Requests is FilterLogEvents pages, or kubectl | grep pipelines.
	Requests int `json:"requests"`
	// LinesRead is the log lines read to answer the search: the endpoint
	// reads every stream again for each page.
	LinesRead     int     `json:"linesRead"`
	MedianSeconds float64 `json:"medianSeconds"`
	MinSeconds    float64 `json:"minSeconds"`
	MaxSeconds    float64 `json:"maxSeconds"`
	// LinesPerSecond is the Lines searched over MedianSeconds.
	LinesPerSecond float64 `json:"linesPerSecond"`
}

// Verdict is one target of the issue against the figure measured.
type Verdict struct {
	Metric   string `json:"metric"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
	// Why explains a miss: what bounds the figure.
	Why string `json:"why,omitempty"`
}
