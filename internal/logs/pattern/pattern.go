package pattern

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on a filter pattern.
const (
	// maxPatternLength is CloudWatch's limit on filterPattern (API
	// reference: "Length Constraints: Minimum length of 0. Maximum length
	// of 1024."), counted in characters.
	maxPatternLength = 1024
	// maxDepth bounds the nesting of parentheses in a JSON pattern.
	maxDepth = 32
	// maxRegexes is CloudWatch's quota of regular expressions in one
	// JSON or space-delimited pattern.
	maxRegexes = 2
	// maxWildcardSelectors is CloudWatch's quota of property selectors
	// holding a wildcard in one JSON pattern.
	maxWildcardSelectors = 3
	// maxConditions bounds the conditions of a JSON pattern (1024
	// characters hold fewer than 150).
	maxConditions = 256
)

// SyntaxError is the error Parse returns for a pattern CloudWatch would
// reject.
type SyntaxError struct {
	// Pos is the 0-based byte offset in the pattern the error is about.
	Pos int
	// Msg says what is wrong.
	Msg string
}

// Error reads like CloudWatch's InvalidParameterException message.
func (e *SyntaxError) Error() string {
	return "Invalid filter pattern at position " + strconv.Itoa(e.Pos) + ": " + e.Msg
}

func errf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Pattern is a parsed filter pattern. A nil or zero Pattern matches every
// event, as the empty pattern does. A Pattern is safe for concurrent use.
type Pattern struct {
	m matcher
}

// matcher is one of the pattern kinds: terms, a standalone regex, JSON or
// space-delimited.
type matcher interface {
	match(msg string) bool
	format(w *printer)
}

// printer writes the canonical form; compact leaves out every optional
// space, which makes the form no longer than the pattern it came from.
type printer struct {
	b       strings.Builder
	compact bool
}

// space writes a space unless the form is compact.
func (w *printer) space() {
	if !w.compact {
		w.b.WriteByte(' ')
	}
}

// Parse parses a CloudWatch filter pattern. Errors are *SyntaxError.
func Parse(p string) (*Pattern, error) {
	if utf8.RuneCountInString(p) > maxPatternLength {
		pos, n := 0, 0
		for pos = range p {
			if n == maxPatternLength {
				break
			}
			n++
		}
		return nil, errf(pos, "a filter pattern holds at most %d characters", maxPatternLength)
	}
	i := skipSpace(p, 0)
	if i == len(p) {
		return &Pattern{}, nil
	}
	var m matcher
	var err error
	switch p[i] {
	case '{':
		m, err = parseJSON(p, i)
	case '[':
		m, err = parseDelimited(p, i)
	case '%':
		m, err = parseStandaloneRegex(p, i)
	default:
		m, err = parseTerms(p, i)
	}
	if err != nil {
		return nil, err
	}
	return &Pattern{m: m}, nil
}

// Match reports whether the log event message matches the pattern.
func (p *Pattern) Match(message string) bool {
	if p == nil || p.m == nil {
		return true
	}
	return p.m.match(message)
}

// String returns the pattern in a canonical form that Parse accepts and
// that means the same thing: spaces around operators, minimal
// parentheses, quotes only where needed. Should that form be longer than
// CloudWatch's limit, the spaces are left out.
func (p *Pattern) String() string {
	if p == nil || p.m == nil {
		return ""
	}
	w := printer{}
	p.m.format(&w)
	if s := w.b.String(); utf8.RuneCountInString(s) <= maxPatternLength {
		return s
	}
	w = printer{compact: true}
	p.m.format(&w)
	return w.b.String()
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return true
	}
	return false
}

func skipSpace(p string, i int) int {
	for i < len(p) && isSpace(p[i]) {
		i++
	}
	return i
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isWordChar reports the characters of an unquoted term: letters, digits
// and the underscore.
func isWordChar(c byte) bool { return isAlnum(c) || c == '_' }

// parseQuoted reads the double-quoted string starting at p[i]. A backslash
// escapes a double quote or a backslash; any other backslash is itself.
func parseQuoted(p string, i int) (text string, end int, err error) {
	j := i + 1
	var b []byte
	start := j
	for j < len(p) {
		switch p[j] {
		case '"':
			if b == nil {
				return p[start:j], j + 1, nil
			}
			return string(append(b, p[start:j]...)), j + 1, nil
		case '\\':
			if j+1 < len(p) && (p[j+1] == '"' || p[j+1] == '\\') {
				b = append(b, p[start:j]...)
				b = append(b, p[j+1])
				j += 2
				start = j
				continue
			}
		}
		j++
	}
	return "", 0, errf(i, "unmatched '\"'")
}

// quote writes s double-quoted so that parseQuoted reads s back. It
// escapes only what must be escaped, which keeps it no longer than any
// quoted form of s.
func quote(w *printer, s string) {
	w.b.WriteByte('"')
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case c == '"':
			w.b.WriteString(`\"`)
		case c == '\\' && (k+1 == len(s) || s[k+1] == '"' || s[k+1] == '\\'):
			w.b.WriteString(`\\`)
		default:
			w.b.WriteByte(c)
		}
	}
	w.b.WriteByte('"')
}
