package pattern

import (
	"strconv"
	"strings"
)

type op uint8

const (
	opEq op = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opText = [...]string{opEq: "=", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

func (o op) numericOnly() bool { return o >= opLt }

func isOpChar(c byte) bool { return c == '=' || c == '!' || c == '<' || c == '>' }

// parseOp reads the comparison operator at p[i].
func parseOp(p string, i int) (op, int, error) {
	j := i
	for j < len(p) && isOpChar(p[j]) {
		j++
	}
	s := p[i:j]
	for o, t := range opText {
		if s == t {
			return op(o), j, nil
		}
	}
	if s == "" {
		return 0, 0, errf(i, "expected an operator (=, !=, <, <=, >, >=)")
	}
	return 0, 0, errf(i, "unknown operator %q", s)
}

type valueKind uint8

const (
	valString valueKind = iota // "text" or text, * a wildcard at either end
	valNumber                  // 400, -1.5, 1e+3
	valRegex                   // %regex%
)

// value is the right-hand side of a comparison.
type value struct {
	kind valueKind
	text string  // the string, or the number as written
	num  float64 // valNumber
	re   *regex  // valRegex
	// A string's wildcards: a leading or trailing * matches any text.
	anyBefore, anyAfter bool
	core                string
}

func stringValue(s string) value {
	v := value{kind: valString, text: s, core: s}
	if strings.HasPrefix(v.core, "*") {
		v.anyBefore, v.core = true, v.core[1:]
	}
	if strings.HasSuffix(v.core, "*") {
		v.anyAfter, v.core = true, v.core[:len(v.core)-1]
	}
	return v
}

func (v *value) matchString(s string) bool {
	switch {
	case v.anyBefore && v.anyAfter:
		return strings.Contains(s, v.core)
	case v.anyBefore:
		return strings.HasSuffix(s, v.core)
	case v.anyAfter:
		return strings.HasPrefix(s, v.core)
	}
	return s == v.core
}

func (v *value) format(w *printer) {
	switch v.kind {
	case valNumber:
		w.b.WriteString(v.text)
	case valRegex:
		v.re.format(w)
	default:
		if isBareValue(v.text) && !isNumberLiteral(v.text) {
			w.b.WriteString(v.text)
		} else {
			quote(w, v.text)
		}
	}
}

// isBareValueChar reports the characters of an unquoted value: letters,
// digits, '_', and the '.', '*', '+' and '-' of numbers, wildcards and
// the documented 123.123.*.
func isBareValueChar(c byte) bool {
	return isWordChar(c) || c == '.' || c == '*' || c == '+' || c == '-'
}

func isBareValue(s string) bool {
	if s == "" {
		return false
	}
	for k := 0; k < len(s); k++ {
		if !isBareValueChar(s[k]) {
			return false
		}
	}
	return true
}

// isNumberLiteral reports the documented numbers: "an integer with an
// optional + or - sign, a decimal with an optional + or - sign, or a
// number in scientific notation, which is an integer or a decimal with an
// optional + or - sign, followed by 'e', followed by an integer with an
// optional + or - sign".
func isNumberLiteral(s string) bool {
	i, ok := digits(s, sign(s, 0))
	if !ok {
		return false
	}
	i, ok = fractionExponent(s, i)
	return ok && i == len(s)
}

// sign skips an optional + or - at s[i].
func sign(s string, i int) int {
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	return i
}

// digits skips one or more digits from s[i].
func digits(s string, i int) (int, bool) {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j, j > i
}

// fractionExponent skips an optional .digits and an optional exponent
// from s[i].
func fractionExponent(s string, i int) (int, bool) {
	if i < len(s) && s[i] == '.' {
		var ok bool
		if i, ok = digits(s, i+1); !ok {
			return i, false
		}
	}
	return exponent(s, i)
}

// exponent skips an optional e or E, sign, digits from s[i].
func exponent(s string, i int) (int, bool) {
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		return digits(s, sign(s, i+1))
	}
	return i, true
}

// parseNumber reads a field or JSON value as a number: an optional sign,
// digits with an optional fraction (either side of the point may be
// empty, not both), an optional exponent. Nothing else is a number.
func parseNumber(s string) (float64, bool) {
	i, intPart := digits(s, sign(s, 0))
	fracPart := false
	if i < len(s) && s[i] == '.' {
		i, fracPart = digits(s, i+1)
	}
	if !intPart && !fracPart {
		return 0, false
	}
	if i, ok := exponent(s, i); !ok || i != len(s) {
		return 0, false
	}
	// Out of range is ±Inf or 0, still comparable.
	f, _ := strconv.ParseFloat(s, 64)
	return f, true
}

// parseValue reads the value at or after p[i], after the operator o.
func parseValue(p string, i int, o op) (value, int, error) {
	i = skipSpace(p, i)
	if i == len(p) {
		return value{}, 0, errf(i, "expected a value after %q", opText[o])
	}
	var v value
	var end int
	switch c := p[i]; {
	case c == '"':
		s, e, err := parseQuoted(p, i)
		if err != nil {
			return v, 0, err
		}
		v, end = stringValue(s), e
	case c == '%':
		re, e, err := parseRegex(p, i)
		if err != nil {
			return v, 0, err
		}
		v, end = value{kind: valRegex, text: re.src, re: re}, e
	case isBareValueChar(c):
		end = i
		for end < len(p) && isBareValueChar(p[end]) {
			end++
		}
		lit := p[i:end]
		if isNumberLiteral(lit) {
			f, _ := strconv.ParseFloat(lit, 64)
			v = value{kind: valNumber, text: lit, num: f}
		} else {
			v = stringValue(lit)
		}
	default:
		return v, 0, errf(i, "expected a value after %q", opText[o])
	}
	if o.numericOnly() && v.kind != valNumber {
		return v, 0, errf(i, "%q compares numbers: expected a number", opText[o])
	}
	return v, end, nil
}

// comparison is "op value", tested against a field's or a JSON value's
// text.
type comparison struct {
	op  op
	val value
}

// matchText tests the text s of a value. Strings match literally (with
// wildcards) or by regex; numbers compare numerically, and s must be a
// number for any numeric comparison to hold, != included.
func (c *comparison) matchText(s string) bool {
	switch c.val.kind {
	case valString:
		return c.val.matchString(s) == (c.op == opEq)
	case valRegex:
		return c.val.re.re.MatchString(s) == (c.op == opEq)
	}
	f, ok := parseNumber(s)
	if !ok {
		return false
	}
	n := c.val.num
	switch c.op {
	case opEq:
		return f == n
	case opNe:
		return f != n
	case opLt:
		return f < n
	case opLe:
		return f <= n
	case opGt:
		return f > n
	}
	return f >= n
}

func (c *comparison) format(w *printer) {
	w.space()
	w.b.WriteString(opText[c.op])
	w.space()
	c.val.format(w)
}
