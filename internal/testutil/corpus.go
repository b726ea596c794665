// Package testutil holds helpers the test suites share.
package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// CorpusEnv is the environment variable that gives the corpus tests (build
// tag corpus) the directory of the real-world corpus: ECS files from other
// people's public repositories, kept outside the repository. `make corpus
// CORPUS=<dir>` sets it.
const CorpusEnv = "BERTH_CORPUS"

// ExternalCorpus returns the directory of the real-world corpus, $BERTH_CORPUS,
// or an error that says how to give it: it must be an absolute path to a
// directory.
func ExternalCorpus() (string, error) {
	dir := os.Getenv(CorpusEnv)
	const how = "the corpus tests (go test -tags corpus) read the real-world corpus kept outside the repository: run `make corpus CORPUS=<dir>`, or set " + CorpusEnv + " to the corpus's absolute path"
	switch {
	case dir == "":
		return "", fmt.Errorf("%s is not set: %s", CorpusEnv, how)
	case !filepath.IsAbs(dir):
		return "", fmt.Errorf("%s=%q is not an absolute path: %s", CorpusEnv, dir, how)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("%s=%q: %w: %s", CorpusEnv, dir, err, how)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s=%q is not a directory: %s", CorpusEnv, dir, how)
	}
	return dir, nil
}

var nonNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// CorpusObjectName derives an object name from a corpus file name: a DNS
// label of at most 63 characters (the Service limit), hashed when cut.
func CorpusObjectName(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	name := strings.Trim(nonNameChars.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(file))
		name = strings.TrimRight(name[:54], "-") + "-" + hex.EncodeToString(sum[:])[:8]
	}
	return name
}
