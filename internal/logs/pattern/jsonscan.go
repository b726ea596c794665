package pattern

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A JSON pattern is evaluated in one pass over the message: a validating
// scanner walks the JSON text along a trie of the pattern's selectors,
// tests each value a selector reaches against that selector's conditions,
// and skips (while still validating) everything else. Nothing is decoded
// that no condition reads, so most messages cost no allocation.

type jsonKind uint8

const (
	kindString jsonKind = iota
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindObject
	kindArray
)

// maxJSONDepth is encoding/json's limit on nesting.
const maxJSONDepth = 10000

// trieNode is a step of one or more selectors; conds are the conditions
// whose selector ends here.
type trieNode struct {
	fields   []trieField
	anyField *trieNode
	indexes  []trieIndex
	anyIndex *trieNode
	conds    []int
}

type trieField struct {
	name string
	node *trieNode
}

type trieIndex struct {
	index int
	node  *trieNode
}

func buildTrie(conds []jsonCond) *trieNode {
	root := &trieNode{}
	for ci := range conds {
		n := root
		for _, s := range conds[ci].sel {
			n = n.child(s)
		}
		n.conds = append(n.conds, ci)
	}
	return root
}

func (n *trieNode) child(s segment) *trieNode {
	switch s.kind {
	case segAnyField:
		if n.anyField == nil {
			n.anyField = &trieNode{}
		}
		return n.anyField
	case segAnyIndex:
		if n.anyIndex == nil {
			n.anyIndex = &trieNode{}
		}
		return n.anyIndex
	case segIndex:
		for _, e := range n.indexes {
			if e.index == s.index {
				return e.node
			}
		}
		c := &trieNode{}
		n.indexes = append(n.indexes, trieIndex{index: s.index, node: c})
		return c
	}
	for _, e := range n.fields {
		if e.name == s.name {
			return e.node
		}
	}
	c := &trieNode{}
	n.fields = append(n.fields, trieField{name: s.name, node: c})
	return c
}

type bitset [maxConditions / 64]uint64

func (b *bitset) set(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b *bitset) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }

// jsonScan is one pass over a message: found has the conditions whose
// selector reached a value, sat those a value satisfied.
type jsonScan struct {
	s          string
	i          int
	depth      int
	m          *jsonMatcher
	sat, found bitset
}

// nodeSet is the trie nodes a value is reached by. There are at most
// maxWildcardSelectors+1 of them: the prefixes of selectors that match a
// path are one without a wildcard (trie names are unique) and at most one
// per selector with a wildcard. Passed by value, it costs no allocation.
type nodeSet struct {
	n int
	a [maxWildcardSelectors + 1]*trieNode
}

func (ns *nodeSet) add(t *trieNode) {
	ns.a[ns.n] = t
	ns.n++
}

// run scans the message, which must be one JSON object.
func (sc *jsonScan) run() bool {
	sc.skipWS()
	if sc.i == len(sc.s) || sc.s[sc.i] != '{' {
		return false
	}
	var root nodeSet
	root.add(sc.m.trie)
	if !sc.value(root) {
		return false
	}
	sc.skipWS()
	return sc.i == len(sc.s)
}

func (sc *jsonScan) skipWS() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// value scans the value at sc.i, which the trie nodes in nodes reach.
func (sc *jsonScan) value(nodes nodeSet) bool {
	sc.skipWS()
	if sc.i == len(sc.s) {
		return false
	}
	switch sc.s[sc.i] {
	case '{':
		sc.terminal(&nodes, kindObject, "")
		return sc.object(&nodes)
	case '[':
		sc.terminal(&nodes, kindArray, "")
		return sc.array(&nodes)
	case '"':
		start := sc.i + 1
		end, esc, ok := sc.str()
		if ok && nodes.hasConds() {
			text := sc.s[start:end]
			if esc {
				text = unescape(text)
			}
			sc.terminal(&nodes, kindString, text)
		}
		return ok
	case 't':
		return sc.literal("true", &nodes, kindTrue)
	case 'f':
		return sc.literal("false", &nodes, kindFalse)
	case 'n':
		return sc.literal("null", &nodes, kindNull)
	}
	start := sc.i
	if !sc.number() {
		return false
	}
	sc.terminal(&nodes, kindNumber, sc.s[start:sc.i])
	return true
}

func (ns *nodeSet) hasConds() bool {
	for k := 0; k < ns.n; k++ {
		if len(ns.a[k].conds) > 0 {
			return true
		}
	}
	return false
}

// terminal tests a value against the conditions ending at nodes.
func (sc *jsonScan) terminal(nodes *nodeSet, kind jsonKind, text string) {
	for k := 0; k < nodes.n; k++ {
		for _, ci := range nodes.a[k].conds {
			sc.found.set(ci)
			if !sc.sat.has(ci) && sc.m.conds[ci].test(kind, text) {
				sc.sat.set(ci)
			}
		}
	}
}

func (sc *jsonScan) literal(lit string, nodes *nodeSet, kind jsonKind) bool {
	if len(sc.s)-sc.i < len(lit) || sc.s[sc.i:sc.i+len(lit)] != lit {
		return false
	}
	sc.i += len(lit)
	sc.terminal(nodes, kind, lit)
	return true
}

func (sc *jsonScan) object(nodes *nodeSet) bool {
	if sc.depth++; sc.depth > maxJSONDepth {
		return false
	}
	sc.i++ // '{'
	sc.skipWS()
	if sc.i < len(sc.s) && sc.s[sc.i] == '}' {
		sc.i++
		sc.depth--
		return true
	}
	named, anyField := false, false
	for k := 0; k < nodes.n; k++ {
		named = named || len(nodes.a[k].fields) > 0
		anyField = anyField || nodes.a[k].anyField != nil
	}
	for {
		if !sc.member(nodes, named, anyField) || !sc.next('}') {
			return false
		}
		if sc.s[sc.i-1] == '}' {
			sc.depth--
			return true
		}
	}
}

// member scans "key": value in an object the nodes reach; named and
// anyField tell whether any of them has a named or a wildcard child.
func (sc *jsonScan) member(nodes *nodeSet, named, anyField bool) bool {
	sc.skipWS()
	if sc.i == len(sc.s) || sc.s[sc.i] != '"' {
		return false
	}
	kstart := sc.i + 1
	kend, kesc, ok := sc.str()
	sc.skipWS()
	if !ok || sc.i == len(sc.s) || sc.s[sc.i] != ':' {
		return false
	}
	sc.i++
	var kids nodeSet
	if named || anyField {
		key := sc.s[kstart:kend]
		if named && kesc {
			key = unescape(key)
		}
		kids = nodes.fieldKids(key)
	}
	return sc.value(kids)
}

// fieldKids is the nodes the member key of an object the nodes reach
// reaches.
func (ns *nodeSet) fieldKids(key string) nodeSet {
	var kids nodeSet
	for k := 0; k < ns.n; k++ {
		n := ns.a[k]
		for _, f := range n.fields {
			if f.name == key {
				kids.add(f.node)
			}
		}
		if n.anyField != nil {
			kids.add(n.anyField)
		}
	}
	return kids
}

func (sc *jsonScan) array(nodes *nodeSet) bool {
	if sc.depth++; sc.depth > maxJSONDepth {
		return false
	}
	sc.i++ // '['
	sc.skipWS()
	if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
		sc.i++
		sc.depth--
		return true
	}
	for index := 0; ; index++ {
		if !sc.value(nodes.indexKids(index)) || !sc.next(']') {
			return false
		}
		if sc.s[sc.i-1] == ']' {
			sc.depth--
			return true
		}
	}
}

// indexKids is the nodes element index of an array the nodes reach
// reaches.
func (ns *nodeSet) indexKids(index int) nodeSet {
	var kids nodeSet
	for k := 0; k < ns.n; k++ {
		n := ns.a[k]
		for _, e := range n.indexes {
			if e.index == index {
				kids.add(e.node)
			}
		}
		if n.anyIndex != nil {
			kids.add(n.anyIndex)
		}
	}
	return kids
}

// next consumes the ',' or the closing character after a member.
func (sc *jsonScan) next(closing byte) bool {
	sc.skipWS()
	if sc.i < len(sc.s) && (sc.s[sc.i] == ',' || sc.s[sc.i] == closing) {
		sc.i++
		return true
	}
	return false
}

// plainStringByte reports the bytes a JSON string holds as they are: not
// a control character, a quote or a backslash.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < len(t); c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string at sc.i ('"') and returns the offset of its closing
// quote and whether it holds escapes.
func (sc *jsonScan) str() (end int, esc bool, ok bool) {
	s := sc.s
	i := sc.i + 1
	for {
		for i < len(s) && plainStringByte[s[i]] {
			i++
		}
		if i == len(s) || s[i] < 0x20 {
			return 0, false, false
		}
		if s[i] == '"' {
			sc.i = i + 1
			return i, esc, true
		}
		esc = true
		n, valid := escapeLen(s, i)
		if !valid {
			return 0, false, false
		}
		i += n
	}
}

// escapeLen returns the length of the escape at s[i] ('\\').
func escapeLen(s string, i int) (int, bool) {
	if i+1 == len(s) {
		return 0, false
	}
	switch s[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		if i+6 <= len(s) && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]) {
			return 6, true
		}
	}
	return 0, false
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *jsonScan) number() bool {
	s, i := sc.s, sc.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i, _ = digits(s, i)
	default:
		return false
	}
	i, ok := fractionExponent(s, i)
	sc.i = i
	return ok
}

// unescape decodes the escapes of a scanned JSON string's content, as
// encoding/json does (an unpaired surrogate becomes U+FFFD).
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch e := s[i+1]; e {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, n := unescapeU(s, i)
			b = utf8.AppendRune(b, r)
			i += n
			continue
		default: // '"', '\\', '/'
			b = append(b, e)
		}
		i += 2
	}
	return string(b)
}

// unescapeU decodes the \uXXXX at s[i], with the low surrogate that may
// follow it, and returns the rune and the length read.
func unescapeU(s string, i int) (rune, int) {
	r := hex4(s[i+2 : i+6])
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
		if d := utf16.DecodeRune(r, hex4(s[i+8:i+12])); d != unicode.ReplacementChar {
			return d, 12
		}
	}
	return unicode.ReplacementChar, 6
}

func hex4(s string) rune {
	var r rune
	for k := 0; k < 4; k++ {
		c := s[k]
		switch {
		case isDigit(c):
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
