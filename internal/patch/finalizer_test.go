package patch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/patch"
	"github.com/berth-dev/berth/internal/testenv"
)

var direct client.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, _ := filepath.Abs("../..")
	env, err := testenv.Start(root)
	defer env.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	direct = env.Direct
	return m.Run()
}

// A finalizer added or removed while another writer changes the list loses
// nothing: the write from a stale copy is refused (and reported as not
// written, with no error), and the one from a fresh copy keeps the other
// writer's finalizer.
func TestFinalizerLosesNothing(t *testing.T) {
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "finalizers", Finalizers: []string{"example.com/a"}}}
	if err := direct.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cm.Finalizers = nil
		_ = direct.Update(ctx, cm)
		_ = direct.Delete(ctx, cm)
	})
	stale := cm.DeepCopy()
	other := cm.DeepCopy()
	other.Finalizers = append(other.Finalizers, "example.com/other")
	if err := direct.Update(ctx, other); err != nil {
		t.Fatal(err)
	}

	for _, step := range []struct {
		name string
		do   func(client.Object) (bool, error)
	}{
		{"remove", func(o client.Object) (bool, error) { return patch.RemoveFinalizer(ctx, direct, o, "example.com/a") }},
		{"add", func(o client.Object) (bool, error) { return patch.AddFinalizer(ctx, direct, o, "example.com/b") }},
	} {
		wrote, err := step.do(stale.DeepCopy())
		if err != nil || wrote {
			t.Errorf("%s from a stale copy: wrote %v, err %v; want refused (a conflict), no error", step.name, wrote, err)
		}
	}
	got := &corev1.ConfigMap{}
	if err := direct.Get(ctx, client.ObjectKeyFromObject(cm), got); err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/a", "example.com/other"}; !slices.Equal(got.Finalizers, want) {
		t.Fatalf("after stale writes: finalizers %v, want %v", got.Finalizers, want)
	}

	if wrote, err := patch.RemoveFinalizer(ctx, direct, got, "example.com/a"); err != nil || !wrote {
		t.Fatalf("remove from a fresh copy: wrote %v, err %v", wrote, err)
	}
	if wrote, err := patch.AddFinalizer(ctx, direct, got, "example.com/b"); err != nil || !wrote {
		t.Fatalf("add from a fresh copy: wrote %v, err %v", wrote, err)
	}
	if wrote, err := patch.AddFinalizer(ctx, direct, got, "example.com/b"); err != nil || wrote {
		t.Fatalf("adding a finalizer that is there: wrote %v, err %v; want no write", wrote, err)
	}
	if err := direct.Get(ctx, client.ObjectKeyFromObject(cm), got); err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/other", "example.com/b"}; !slices.Equal(got.Finalizers, want) {
		t.Errorf("finalizers %v, want %v", got.Finalizers, want)
	}
	cm = got
}
