package pattern

import "strings"

type termKind uint8

const (
	termRequired termKind = iota // TERM: the message contains it
	termOptional                 // ?TERM: the message contains one of them
	termExcluded                 // -TERM: the message does not contain it
)

type term struct {
	kind termKind
	text string // unquoted
}

// termMatcher matches unstructured log events: every required term,
// none of the excluded ones and, when there are only optional terms, one
// of those. CloudWatch ignores optional terms next to other terms.
type termMatcher struct {
	terms    []term
	required []string
	excluded []string
	optional []string
}

func (m *termMatcher) match(msg string) bool {
	for _, s := range m.required {
		if !strings.Contains(msg, s) {
			return false
		}
	}
	for _, s := range m.excluded {
		if strings.Contains(msg, s) {
			return false
		}
	}
	if len(m.optional) == 0 {
		return true
	}
	for _, s := range m.optional {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func (m *termMatcher) format(w *printer) {
	for k, t := range m.terms {
		if k > 0 {
			w.b.WriteByte(' ')
		}
		switch t.kind {
		case termOptional:
			w.b.WriteByte('?')
		case termExcluded:
			w.b.WriteByte('-')
		}
		if isBareTerm(t.text) {
			w.b.WriteString(t.text)
		} else {
			quote(w, t.text)
		}
	}
}

func isBareTerm(s string) bool {
	if s == "" {
		return false
	}
	for k := 0; k < len(s); k++ {
		if !isWordChar(s[k]) {
			return false
		}
	}
	return true
}

// parseTerms parses an unstructured pattern: whitespace-separated terms,
// each a word of letters, digits and underscores or a double-quoted
// phrase, prefixed by ? (any of) or - (exclude).
func parseTerms(p string, i int) (*termMatcher, error) {
	m := &termMatcher{}
	for i = skipSpace(p, i); i < len(p); i = skipSpace(p, i) {
		t, end, err := parseTerm(p, i)
		if err != nil {
			return nil, err
		}
		m.terms = append(m.terms, t)
		i = end
	}
	for _, t := range m.terms {
		// The documented " " matches everything: a blank phrase is no
		// constraint.
		needle := t.text
		if strings.TrimSpace(needle) == "" {
			needle = ""
		}
		switch t.kind {
		case termRequired:
			m.required = append(m.required, needle)
		case termExcluded:
			m.excluded = append(m.excluded, needle)
		case termOptional:
			m.optional = append(m.optional, needle)
		}
	}
	if len(m.required) > 0 || len(m.excluded) > 0 {
		m.optional = nil
	}
	return m, nil
}

func parseTerm(p string, i int) (term, int, error) {
	start := i
	t := term{}
	switch p[i] {
	case '?':
		t.kind = termOptional
		i++
	case '-':
		t.kind = termExcluded
		i++
	}
	if i == len(p) || isSpace(p[i]) {
		return t, 0, errf(start, "expected a term after %q", p[start])
	}
	switch p[i] {
	case '"':
		text, end, err := parseQuoted(p, i)
		if err != nil {
			return t, 0, err
		}
		if end < len(p) && !isSpace(p[end]) {
			return t, 0, errf(end, "expected a space after the quoted term")
		}
		t.text = text
		return t, end, nil
	case '%':
		return t, 0, errf(i, "a regular expression (%%...%%) must be the whole filter pattern")
	}
	j := i
	for ; j < len(p) && !isSpace(p[j]); j++ {
		if !isWordChar(p[j]) {
			return t, 0, errf(j, "unexpected %s: enclose terms with characters other than letters, digits and '_' in double quotes", charAt(p, j))
		}
	}
	t.text = p[i:j]
	return t, j, nil
}

// regexMatcher is a standalone %regex% pattern.
type regexMatcher struct {
	re *regex
}

func (m *regexMatcher) match(msg string) bool { return m.re.re.MatchString(msg) }

func (m *regexMatcher) format(w *printer) { m.re.format(w) }

func parseStandaloneRegex(p string, i int) (*regexMatcher, error) {
	re, end, err := parseRegex(p, i)
	if err != nil {
		return nil, err
	}
	if j := skipSpace(p, end); j < len(p) {
		return nil, errf(j, "a regular expression (%%...%%) must be the whole filter pattern")
	}
	return &regexMatcher{re: re}, nil
}
