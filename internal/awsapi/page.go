package awsapi

import (
	"encoding/base64"
	"sort"
	"strings"
)

// Page cuts a list of unique keys, ordered by cmp (nil: strings.Compare),
// after token (the last key of the page before, encoded as Page returns it)
// and at n items. It returns the indexes [from, to) and the token of the
// next page ("" on the last); ok is false for a token that is not one. A
// key that went away meanwhile resumes at the first key after it.
func Page(keys []string, n int, token string, cmp func(a, b string) int) (from, to int, next string, ok bool) {
	if cmp == nil {
		cmp = strings.Compare
	}
	if token != "" {
		last, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return 0, 0, "", false
		}
		from = sort.Search(len(keys), func(i int) bool { return cmp(keys[i], string(last)) > 0 })
	}
	to = min(from+n, len(keys))
	if to < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[to-1]))
	}
	return from, to, next, true
}
