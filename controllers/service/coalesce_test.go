package service

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// The memo tells a cache that has not shown Berth's last status write
// (reconciling from it would be refused as a conflict, a request wasted)
// from one that has, and the first change that waits from later ones.
func TestStatusMemo(t *testing.T) {
	var m statusMemo
	key := types.NamespacedName{Namespace: "ns", Name: "web"}
	t0 := time.Unix(1000, 0)
	if got := m.seen(key, t0); !got.Equal(t0) {
		t.Errorf("first change seen at %v, want %v", got, t0)
	}
	if got := m.seen(key, t0.Add(time.Second/2)); !got.Equal(t0) {
		t.Errorf("a later change: %v, want the first one's %v", got, t0)
	}
	m.written(key, "10", "10", "10") // nothing to write
	if m.behind(key, "10") {
		t.Error("behind after a reconcile that wrote nothing")
	}
	if got := m.seen(key, t0.Add(time.Second)); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("after the write the wait starts again: %v", got)
	}
	m.written(key, "11", "9", "10") // the finalizer (9 → 10), then the status (10 → 11)
	if !m.behind(key, "10") || !m.behind(key, "9") || !m.behind(key, "10") {
		t.Error("the cache still shows version 9 or 10, which the writes replaced")
	}
	if m.behind(key, "11") {
		t.Error("the cache shows the write")
	}
	if m.behind(key, "10") {
		t.Error("caught up once: a version read later is never the replaced one again")
	}
	m.written(key, "12", "11", "11")
	if !m.behind(key, "11") || m.behind(key, "13") || m.behind(key, "11") {
		t.Error("another writer's version (13) ends the memo too")
	}
	m.written(key, "14", "13", "13")
	m.forget(key)
	if m.behind(key, "13") {
		t.Error("forgotten with the Service")
	}
}
