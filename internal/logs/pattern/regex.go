package pattern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// regex is a %regex% in a pattern: its source as written and the Go
// regexp it translates to.
type regex struct {
	src string
	re  *regexp.Regexp
}

func (r *regex) format(w *printer) {
	w.b.WriteByte('%')
	w.b.WriteString(r.src)
	w.b.WriteByte('%')
}

// regexSymbols are the characters a CloudWatch regex may hold besides
// letters and digits: the symbol characters ": _ # = @ / ; , -", the
// operators "^ $ ? [ ] { } | \ * + ." and the space (the documented
// %^starting|^initializing|^shutting down% holds one).
const regexSymbols = ":_#=@/;,-^$?[]{}|\\*+. "

// charAt describes the character at p[i] for an error message.
func charAt(p string, i int) string {
	r, size := utf8.DecodeRuneInString(p[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", p[i])
	}
	return strconv.QuoteRune(r)
}

// parseRegex reads the %regex% starting at p[i], checks it holds only
// what CloudWatch supports and compiles it.
func parseRegex(p string, i int) (*regex, int, error) {
	k := strings.IndexByte(p[i+1:], '%')
	if k < 0 {
		return nil, 0, errf(i, "unmatched '%%'")
	}
	src := p[i+1 : i+1+k]
	if src == "" {
		return nil, 0, errf(i, "empty regular expression")
	}
	goSrc, err := translateRegex(src, i+1)
	if err != nil {
		return nil, 0, err
	}
	re, cerr := regexp.Compile(goSrc)
	if cerr != nil {
		return nil, 0, errf(i, "invalid regular expression: %v", cerr)
	}
	return &regex{src: src, re: re}, i + 1 + k + 1, nil
}

// translateRegex checks the CloudWatch regex src (at offset base in the
// pattern) and returns its Go equivalent: the same, with {,n} written
// {0,n}.
func translateRegex(src string, base int) (string, error) {
	var b strings.Builder
	inClass := -1 // offset of the open '[' while in a character class
	for k := 0; k < len(src); k++ {
		c := src[k]
		if err := checkRegexChar(src, k, base); err != nil {
			return "", err
		}
		switch {
		case c == '\\':
			n, err := regexEscape(src, k, base)
			if err != nil {
				return "", err
			}
			b.WriteString(src[k : k+n])
			k += n - 1
		case c == '[' && inClass >= 0:
			return "", errf(base+k, "nested character classes are not supported; escape '[' as \\[")
		case c == '[':
			inClass = k
			n := classOpen(src, k)
			b.WriteString(src[k : k+n])
			k += n - 1
		case c == ']' && inClass >= 0:
			inClass = -1
			b.WriteByte(c)
		case c == '{' && inClass < 0:
			rep, n, err := regexRepeat(src, k, base)
			if err != nil {
				return "", err
			}
			b.WriteString(rep)
			k += n - 1
		default:
			b.WriteByte(c)
		}
	}
	if inClass >= 0 {
		return "", errf(base+inClass, "unmatched '[' in regular expression")
	}
	return b.String(), nil
}

// classOpen returns the length of the start of the character class at
// src[k]: '[', an optional '^', and a ']' (which first in a class is a
// literal one, in Go as in Java).
func classOpen(src string, k int) int {
	n := 1
	if k+n < len(src) && src[k+n] == '^' {
		n++
	}
	if k+n < len(src) && src[k+n] == ']' {
		n++
	}
	return n
}

func checkRegexChar(src string, k, base int) error {
	c := src[k]
	switch {
	case c >= utf8.RuneSelf:
		return errf(base+k, "multi-byte characters are not supported in regular expressions")
	case c == '(' || c == ')':
		return errf(base+k, "'(' and ')' are not supported in regular expressions: write \\x28 and \\x29 to match them")
	case !isAlnum(c) && strings.IndexByte(regexSymbols, c) < 0:
		return errf(base+k, "%s is not supported in regular expressions", charAt(src, k))
	}
	return nil
}

// regexEscape checks the escape at src[k] ('\\') and returns its length:
// \d \D \s \S \w \W, \xhh, or a backslash before a supported symbol.
func regexEscape(src string, k, base int) (int, error) {
	if k+1 == len(src) {
		return 0, errf(base+k, "trailing '\\' in regular expression")
	}
	n := src[k+1]
	if err := checkRegexChar(src, k+1, base); err != nil {
		return 0, err
	}
	switch {
	case strings.IndexByte("dDsSwW", n) >= 0:
		return 2, nil
	case n == 'x':
		if k+3 < len(src) && isHex(src[k+2]) && isHex(src[k+3]) {
			return 4, nil
		}
		return 0, errf(base+k, "\\x needs two hexadecimal digits")
	case isAlnum(n):
		return 0, errf(base+k, "unsupported escape \\%c in regular expression", n)
	}
	return 2, nil
}

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// regexRepeat checks the {m,n} repetition at src[k] and returns its Go
// form and its length. Either m or n may be left out, not both.
func regexRepeat(src string, k, base int) (string, int, error) {
	j := k + 1
	m0 := j
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	m := src[m0:j]
	comma := j < len(src) && src[j] == ','
	if comma {
		j++
	}
	n0 := j
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	n := src[n0:j]
	if j == len(src) || src[j] != '}' || (m == "" && n == "") || (!comma && m == "") {
		return "", 0, errf(base+k, "malformed repetition: write {m}, {m,}, {,n} or {m,n}, or escape '{' as \\{")
	}
	if m == "" {
		m = "0"
	}
	if comma {
		return "{" + m + "," + n + "}", j + 1 - k, nil
	}
	return "{" + m + "}", j + 1 - k, nil
}
