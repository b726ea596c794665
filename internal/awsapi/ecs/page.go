package ecs

import (
	"encoding/base64"
	"slices"
	"sort"
)

// page cuts an ordered list of unique keys after nextToken (the last key of
// the page before, encoded) and at maxResults (def when unset, at most
// most). It returns the indexes [from, to) and the token of the next page
// ("" on the last). A key that went away meanwhile resumes at the next key
// in sort order when keys are sorted.
func page(keys []string, maxResults *int32, def, most int, token string) (from, to int, next string, err error) {
	n := def
	if maxResults != nil {
		n = int(*maxResults)
		if n < 1 || n > most {
			return 0, 0, "", invalidParameter("maxResults must be between 1 and %d", most)
		}
	}
	if token != "" {
		last, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			return 0, 0, "", invalidParameter("Invalid nextToken")
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
	return from, to, next, nil
}

func invalidParameter(format string, args ...any) error {
	return notFound(InvalidParameterException, format, args...)
}
