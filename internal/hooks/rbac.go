package hooks

// The permissions the runner needs. controller-gen collects markers from
// ./controllers/... only (Makefile, manifests), so these lines are here
// for reference and are repeated on the Service controller, which runs
// the hooks; the pods' get and list are there already.
//
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=batch,resources=cronjobs,verbs=get;list;watch
