// Package watch holds the pieces Berth's controllers share to turn a watch
// event on one object into reconcile requests for others.
package watch

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Requests returns a reconcile request for each item for which keep (nil:
// every item) returns true.
func Requests[T any, PT interface {
	*T
	client.Object
}](items []T, keep func(PT) bool) []reconcile.Request {
	reqs := make([]reconcile.Request, 0, len(items))
	for i := range items {
		o := PT(&items[i])
		if keep == nil || keep(o) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
		}
	}
	return reqs
}
