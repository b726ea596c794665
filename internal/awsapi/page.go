package awsapi

import (
	"encoding/base64"
	"slices"
	"sort"
)

// Page cuts an ordered list of unique keys after token (the last key of
// the page before, encoded as Page returns it) and at n items. It returns
// the indexes [from, to) and the token of the next page ("" on the last);
// ok is false for a token that is not one. A key that went away meanwhile
// resumes at the next key in sort order when keys are sorted.
func Page(keys []string, n int, token string) (from, to int, next string, ok bool) {
	if token != "" {
		last, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return 0, 0, "", false
		}
		from = slices.Index(keys, string(last)) + 1
		if from == 0 && sort.StringsAreSorted(keys) {
			from = sort.SearchStrings(keys, string(last))
		}
	}
	to = min(from+n, len(keys))
	if to < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[to-1]))
	}
	return from, to, next, true
}
