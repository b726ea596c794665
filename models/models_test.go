// Package models holds the AWS API models Berth generates from and tests
// against (see README.md); this test keeps their provenance true.
package models

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestChecksums checks that every model file is listed in SHA256SUMS with
// its SHA-256, that every listed file exists, and that README.md's table
// quotes the same sums: a model edited by hand, or replaced without
// `make update-models`, fails here.
func TestChecksums(t *testing.T) {
	listed := readSums(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		seen++
		path = filepath.ToSlash(path)
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		got := hex.EncodeToString(sum[:])
		switch want, ok := listed[path]; {
		case !ok:
			t.Errorf("%s is not in SHA256SUMS (run make update-models)", path)
		case want != got:
			t.Errorf("%s: SHA-256 %s, SHA256SUMS says %s (edited by hand? run make update-models)", path, got, want)
		}
		row := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(path) + ` \| [0-9-]+ \| ` + "`" + got + "`" + ` \|$`)
		if !row.Match(readme) {
			t.Errorf("README.md has no row for %s with its SHA-256 %s", path, got)
		}
		if !json.Valid(raw) {
			t.Errorf("%s is not JSON", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(listed) {
		t.Errorf("%d model files, SHA256SUMS lists %d", seen, len(listed))
	}
	for _, f := range []string{"LICENSE.txt", "NOTICE"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("botocore's %s must ship with its models: %v", f, err)
		}
	}
}

func readSums(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, path, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("SHA256SUMS: malformed line %q", sc.Text())
		}
		sums[path] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(sums) == 0 {
		t.Fatal("SHA256SUMS lists nothing")
	}
	return sums
}
