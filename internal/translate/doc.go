// Package translate turns ECS objects into the Kubernetes objects that run
// them. It is pure: no client, no clock, no context. The same input always
// gives byte-identical output; whatever comes from a map is sorted.
//
// Builders return client-go apply configurations, so that a controller
// applies exactly the fields Berth owns with server-side apply.
package translate
