// Package testutil holds helpers the test suites share.
package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"strings"
)

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
