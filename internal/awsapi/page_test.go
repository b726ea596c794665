package awsapi

import (
	"slices"
	"strings"
	"testing"
)

// TestPage walks pages, also when the last key of a page goes away between
// two calls, in both orders.
func TestPage(t *testing.T) {
	desc := func(a, b string) int { return strings.Compare(b, a) }
	for _, tc := range []struct {
		name string
		keys []string
		cmp  func(a, b string) int
	}{
		{"ascending", []string{"a", "b", "c", "d", "e"}, nil},
		{"descending", []string{"e", "d", "c", "b", "a"}, desc},
	} {
		var got []string
		token := ""
		for range 10 {
			from, to, next, ok := Page(tc.keys, 2, token, tc.cmp)
			if !ok {
				t.Fatalf("%s: token %q refused", tc.name, token)
			}
			got = append(got, tc.keys[from:to]...)
			if token = next; token == "" {
				break
			}
		}
		if !slices.Equal(got, tc.keys) {
			t.Errorf("%s: pages gave %v, want %v", tc.name, got, tc.keys)
		}
		// The second key goes away after the first page.
		_, _, next, _ := Page(tc.keys, 2, "", tc.cmp)
		rest := slices.Delete(slices.Clone(tc.keys), 1, 2)
		from, _, _, _ := Page(rest, 2, next, tc.cmp)
		if rest[from] != tc.keys[2] {
			t.Errorf("%s: after a deleted key the next page starts at %q, want %q", tc.name, rest[from], tc.keys[2])
		}
	}
	if _, _, _, ok := Page([]string{"a"}, 1, "%%%", nil); ok {
		t.Error("a malformed token was accepted")
	}
}
