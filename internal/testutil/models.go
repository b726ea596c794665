package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// Model reads an AWS API model of the repository's models/ folder (botocore's
// files, see models/README.md), such as "ecs/service-2.json".
func Model(t testing.TB, rel string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(ModuleRoot(t), "models", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("the AWS API model %s (make update-models writes models/): %v", rel, err)
	}
	return raw
}

// ModuleRoot is the directory holding go.mod, above the test's working
// directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
