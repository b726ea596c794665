// Package cql parses ECS's cluster query language, the expressions of
// memberOf placement constraints ("attribute:ecs.instance-type =~ t3.*",
// "task:group == service:web and not(attribute:ecs.availability-zone in
// [us-east-1a, us-east-1b])"), and translates them into Kubernetes node and
// pod affinity.
package cql

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxLength is ECS's limit on an expression's length.
const MaxLength = 2000

// Op is a comparison operator, in its symbolic form.
type Op string

// The operators of the cluster query language.
const (
	OpEq         Op = "=="
	OpNe         Op = "!="
	OpGt         Op = ">"
	OpGe         Op = ">="
	OpLt         Op = "<"
	OpLe         Op = "<="
	OpExists     Op = "exists"
	OpNotExists  Op = "!exists"
	OpIn         Op = "in"
	OpNotIn      Op = "not_in"
	OpMatches    Op = "=~"
	OpNotMatches Op = "!~"
)

// opWords are the operators' spellings, words and symbols.
var opWords = map[string]Op{
	"==": OpEq, "equals": OpEq,
	"!=": OpNe, "not_equals": OpNe,
	">": OpGt, "greater_than": OpGt,
	">=": OpGe, "greater_than_equal": OpGe,
	"<": OpLt, "less_than": OpLt,
	"<=": OpLe, "less_than_equal": OpLe,
	"exists": OpExists, "!exists": OpNotExists, "not_exists": OpNotExists,
	"in": OpIn, "not_in": OpNotIn, "!in": OpNotIn,
	"=~": OpMatches, "matches": OpMatches,
	"!~": OpNotMatches, "not_matches": OpNotMatches,
}

// Expr is a parsed expression: *Cmp, *And, *Or or *Not.
type Expr interface {
	// String is the expression in canonical form, which parses back to the
	// same expression.
	String() string
}

// Cmp is "subject operator [argument]".
type Cmp struct {
	Subject string
	Op      Op
	// Values is the argument: none for exists and !exists, a list for in
	// and not_in, one value otherwise.
	Values []string
}

// And, Or and Not combine expressions.
type (
	And struct{ L, R Expr }
	Or  struct{ L, R Expr }
	Not struct{ X Expr }
)

func (c *Cmp) String() string {
	switch c.Op {
	case OpExists, OpNotExists:
		return c.Subject + " " + string(c.Op)
	case OpIn, OpNotIn:
		q := make([]string, len(c.Values))
		for i, v := range c.Values {
			q[i] = quote(v)
		}
		return c.Subject + " " + string(c.Op) + " [" + strings.Join(q, ", ") + "]"
	}
	return c.Subject + " " + string(c.Op) + " " + quote(c.Values[0])
}

func (e *And) String() string { return "(" + e.L.String() + " and " + e.R.String() + ")" }
func (e *Or) String() string  { return "(" + e.L.String() + " or " + e.R.String() + ")" }
func (e *Not) String() string { return "not(" + e.X.String() + ")" }

// quote writes a value bare when it reads back as one word, quoted
// otherwise.
func quote(v string) string {
	bare := v != "" && !isKeyword(v) && !strings.HasPrefix(v, "!")
	for _, r := range v {
		if !wordRune(r) {
			bare = false
		}
	}
	if bare {
		return v
	}
	if strings.ContainsRune(v, '\'') {
		return `"` + v + `"`
	}
	return "'" + v + "'"
}

func isKeyword(w string) bool {
	_, op := opWords[strings.ToLower(w)]
	switch strings.ToLower(w) {
	case "and", "or", "not":
		return true
	}
	return op
}

// Error is a syntax error at a byte offset of the expression.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at character %d: %s", e.Pos+1, e.Msg) }

// Subjects are the subjects ECS knows, besides attribute:<name>.
var Subjects = []string{"agentConnected", "agentVersion", "ec2InstanceId", "registeredAt", "runningTasksCount", "task:group"}

func knownSubject(s string) bool {
	if name, ok := strings.CutPrefix(s, "attribute:"); ok {
		return name != ""
	}
	for _, k := range Subjects {
		if s == k {
			return true
		}
	}
	return false
}

// Parse parses an expression. "and"/"&&" binds tighter than "or"/"||";
// "not"/"!" tighter than both; parentheses group. Values may be bare words
// or quoted with ' or ".
func Parse(s string) (Expr, error) {
	if len(s) > MaxLength {
		return nil, &Error{Pos: MaxLength, Msg: fmt.Sprintf("the expression is longer than %d characters", MaxLength)}
	}
	p := &parser{src: s}
	p.next()
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf("unexpected %s", p.tok)
	}
	return e, nil
}

type parser struct {
	src string
	pos int
	tok token
	// raw makes the next value token run to the next blank (a regex).
	err   error
	depth int
}

type tokenKind int

const (
	tEOF tokenKind = iota
	tWord
	tQuoted
	tPunct
	tOp
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return fmt.Sprintf("%q", t.text)
}

func (p *parser) errf(format string, args ...any) error {
	if p.err != nil {
		return p.err
	}
	return &Error{Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

// wordRune is a rune of a bare word.
func wordRune(r rune) bool {
	return !unicode.IsSpace(r) && !strings.ContainsRune("()[],'\"=!<>&|~", r)
}

// isSpace is an ASCII blank; other bytes belong to words.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (p *parser) next() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	c := p.src[p.pos]
	switch {
	case strings.IndexByte("()[],", c) >= 0:
		p.pos++
		p.tok = token{kind: tPunct, text: string(c), pos: start}
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.src[p.pos+1:], c)
		if end < 0 {
			p.err = &Error{Pos: start, Msg: "unterminated quoted value"}
			p.pos = len(p.src)
			p.tok = token{kind: tEOF, pos: start}
			return
		}
		p.tok = token{kind: tQuoted, text: p.src[p.pos+1 : p.pos+1+end], pos: start}
		p.pos += end + 2
	case strings.IndexByte("=!<>&|~", c) >= 0:
		p.tok = token{kind: tOp, text: p.symbol(), pos: start}
	default:
		for p.pos < len(p.src) {
			if r := rune(p.src[p.pos]); r >= 0x80 || wordRune(r) {
				p.pos++
				continue
			}
			break
		}
		p.tok = token{kind: tWord, text: p.src[start:p.pos], pos: start}
	}
}

// symbol reads an operator symbol: the longest of the known spellings.
func (p *parser) symbol() string {
	rest := p.src[p.pos:]
	for _, s := range []string{"!exists", "!in", "==", "!=", ">=", "<=", "=~", "!~", "&&", "||", ">", "<", "!"} {
		if !strings.HasPrefix(rest, s) {
			continue
		}
		if (s == "!exists" || s == "!in") && len(rest) > len(s) && wordRune(rune(rest[len(s)])) {
			continue
		}
		p.pos += len(s)
		return s
	}
	p.pos++
	return rest[:1]
}

// rawValue reads a regular expression: everything up to the next blank or
// an unbalanced ')'.
func (p *parser) rawValue() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
	start := p.pos
	if p.pos < len(p.src) && (p.src[p.pos] == '\'' || p.src[p.pos] == '"') {
		p.next()
		return
	}
	depth := 0
	for p.pos < len(p.src) && !isSpace(p.src[p.pos]) {
		switch p.src[p.pos] {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth < 0 {
			break
		}
		p.pos++
	}
	p.tok = token{kind: tQuoted, text: p.src[start:p.pos], pos: start}
	if start == p.pos {
		p.tok = token{kind: tEOF, pos: start}
	}
}

func (p *parser) isWord(words ...string) bool {
	if p.tok.kind != tWord && p.tok.kind != tOp {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(p.tok.text, w) {
			return true
		}
	}
	return false
}

func (p *parser) or() (Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or", "||") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Or{L: l, R: r}
	}
	return l, nil
}

func (p *parser) and() (Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and", "&&") {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &And{L: l, R: r}
	}
	return l, nil
}

func (p *parser) unary() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 100 {
		return nil, p.errf("the expression nests too deeply")
	}
	switch {
	case p.isWord("not", "!"):
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case p.tok.kind == tPunct && p.tok.text == "(":
		p.next()
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tPunct || p.tok.text != ")" {
			return nil, p.errf("expected \")\", found %s", p.tok)
		}
		p.next()
		return x, nil
	}
	return p.cmp()
}

func (p *parser) cmp() (Expr, error) {
	if p.tok.kind != tWord || isKeyword(p.tok.text) {
		return nil, p.errf("expected a subject (attribute:<name>, %s), found %s", strings.Join(Subjects, ", "), p.tok)
	}
	subject := p.tok.text
	if !knownSubject(subject) {
		return nil, p.errf("unknown subject %q: use attribute:<name>, %s", subject, strings.Join(Subjects, ", "))
	}
	p.next()
	op, ok := opWords[strings.ToLower(p.tok.text)]
	if !ok || (p.tok.kind != tWord && p.tok.kind != tOp) {
		return nil, p.errf("expected an operator after %s (==, !=, >, >=, <, <=, exists, !exists, in, not_in, =~, !~), found %s", subject, p.tok)
	}
	c := &Cmp{Subject: subject, Op: op}
	switch op {
	case OpExists, OpNotExists:
		p.next()
		return c, nil
	case OpIn, OpNotIn:
		p.next()
		return c, p.list(c)
	case OpMatches, OpNotMatches:
		p.rawValue()
	default:
		p.next()
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	c.Values = []string{v}
	return c, nil
}

func (p *parser) value() (string, error) {
	switch {
	case p.tok.kind == tQuoted:
	case p.tok.kind == tWord && !isKeyword(p.tok.text):
	default:
		return "", p.errf("expected a value, found %s", p.tok)
	}
	v := p.tok.text
	if strings.ContainsRune(v, '\'') && strings.ContainsRune(v, '"') {
		return "", p.errf("a value cannot contain both ' and \"")
	}
	p.next()
	return v, nil
}

func (p *parser) list(c *Cmp) error {
	if p.tok.kind != tPunct || p.tok.text != "[" {
		// A single value stands for a list of one.
		v, err := p.value()
		if err != nil {
			return p.errf("expected a list of values such as [a, b] after %s", c.Op)
		}
		c.Values = []string{v}
		return nil
	}
	p.next()
	for {
		v, err := p.value()
		if err != nil {
			return err
		}
		c.Values = append(c.Values, v)
		if p.tok.kind == tPunct && p.tok.text == "]" {
			p.next()
			return nil
		}
		if p.tok.kind != tPunct || p.tok.text != "," {
			return p.errf("expected \",\" or \"]\" in the list, found %s", p.tok)
		}
		p.next()
	}
}
