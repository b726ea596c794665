package pattern

import (
	"strconv"
	"strings"
)

// segKind is a step of a property selector.
type segKind uint8

const (
	segField    segKind = iota // .name or .['name']
	segAnyField                // .*
	segIndex                   // [n]
	segAnyIndex                // [*]
)

type segment struct {
	kind  segKind
	name  string
	index int
}

type condKind uint8

const (
	condCompare   condKind = iota // SELECTOR op VALUE
	condIsNull                    // SELECTOR IS NULL
	condIsTrue                    // SELECTOR IS TRUE
	condIsFalse                   // SELECTOR IS FALSE
	condNotExists                 // SELECTOR NOT EXISTS
)

type jsonCond struct {
	sel  []segment
	kind condKind
	cmp  comparison
}

type nodeKind uint8

const (
	nodeCond nodeKind = iota
	nodeAnd
	nodeOr
)

// node is a JSON pattern's expression: a condition, or the && or || of
// two or more nodes (never of a node of its own kind: they are merged).
type node struct {
	kind nodeKind
	cond int // nodeCond: index in jsonMatcher.conds
	kids []*node
}

// jsonMatcher matches JSON log events against { expression }.
type jsonMatcher struct {
	root  *node
	conds []jsonCond
	trie  *trieNode
}

func (m *jsonMatcher) match(msg string) bool {
	sc := jsonScan{s: msg, m: m}
	if !sc.run() {
		return false
	}
	return m.eval(m.root, &sc)
}

func (m *jsonMatcher) eval(n *node, sc *jsonScan) bool {
	switch n.kind {
	case nodeAnd:
		for _, k := range n.kids {
			if !m.eval(k, sc) {
				return false
			}
		}
		return true
	case nodeOr:
		for _, k := range n.kids {
			if m.eval(k, sc) {
				return true
			}
		}
		return false
	}
	if m.conds[n.cond].kind == condNotExists {
		return !sc.found.has(n.cond)
	}
	return sc.sat.has(n.cond)
}

// test tests a value the condition's selector found.
func (c *jsonCond) test(kind jsonKind, text string) bool {
	switch c.kind {
	case condCompare:
		// Only value nodes compare: "If a property selector points to an
		// array or object, the filter pattern won't match".
		return (kind == kindString || kind == kindNumber) && c.cmp.matchText(text)
	case condIsNull:
		return kind == kindNull
	case condIsTrue:
		return kind == kindTrue
	case condIsFalse:
		return kind == kindFalse
	}
	return false
}

func (m *jsonMatcher) format(w *printer) {
	w.b.WriteByte('{')
	w.space()
	m.formatNode(w, m.root)
	w.space()
	w.b.WriteByte('}')
}

func (m *jsonMatcher) formatNode(w *printer, n *node) {
	switch n.kind {
	case nodeCond:
		m.conds[n.cond].format(w)
		return
	}
	sep := " || "
	if n.kind == nodeAnd {
		sep = " && "
	}
	if w.compact {
		sep = strings.TrimSpace(sep)
	}
	for k, kid := range n.kids {
		if k > 0 {
			w.b.WriteString(sep)
		}
		// && binds tighter than ||: only an || inside an && needs
		// parentheses.
		paren := n.kind == nodeAnd && kid.kind == nodeOr
		if paren {
			w.b.WriteByte('(')
		}
		m.formatNode(w, kid)
		if paren {
			w.b.WriteByte(')')
		}
	}
}

func (c *jsonCond) format(w *printer) {
	w.b.WriteByte('$')
	for _, s := range c.sel {
		switch s.kind {
		case segField:
			if isPropertyName(s.name) {
				w.b.WriteString("." + s.name)
			} else {
				w.b.WriteString(".['" + s.name + "']")
			}
		case segAnyField:
			w.b.WriteString(".*")
		case segIndex:
			w.b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case segAnyIndex:
			w.b.WriteString("[*]")
		}
	}
	switch c.kind {
	case condCompare:
		c.cmp.format(w)
	case condIsNull:
		w.b.WriteString(" IS NULL")
	case condIsTrue:
		w.b.WriteString(" IS TRUE")
	case condIsFalse:
		w.b.WriteString(" IS FALSE")
	case condNotExists:
		w.b.WriteString(" NOT EXISTS")
	}
}

// isPropertyNameChar reports the characters of a property name after
// "$.": "alphanumeric strings that support hyphen ("-") and underscore
// ("_") characters".
func isPropertyNameChar(c byte) bool { return isWordChar(c) || c == '-' }

func isPropertyName(s string) bool {
	if s == "" {
		return false
	}
	for k := 0; k < len(s); k++ {
		if !isPropertyNameChar(s[k]) {
			return false
		}
	}
	return true
}

// jsonParser parses { expression }: conditions joined by && and ||, with
// parentheses; && binds tighter than ||.
type jsonParser struct {
	p         string
	i         int
	depth     int
	conds     []jsonCond
	regexes   int
	wildcards int
}

func parseJSON(p string, open int) (*jsonMatcher, error) {
	jp := &jsonParser{p: p, i: open + 1}
	root, err := jp.parseOr()
	if err != nil {
		return nil, err
	}
	if err := jp.expectClose('}', open); err != nil {
		return nil, err
	}
	if j := skipSpace(p, jp.i); j < len(p) {
		return nil, errf(j, "unexpected text after '}'")
	}
	m := &jsonMatcher{root: root, conds: jp.conds}
	m.trie = buildTrie(m.conds)
	return m, nil
}

// expectClose consumes the ')' or '}' that closes the one at open.
func (jp *jsonParser) expectClose(c byte, open int) error {
	jp.i = skipSpace(jp.p, jp.i)
	switch {
	case jp.i < len(jp.p) && jp.p[jp.i] == c:
		jp.i++
		return nil
	case jp.i == len(jp.p) || (c == ')' && jp.p[jp.i] == '}'):
		return errf(open, "unmatched %q", jp.p[open])
	case jp.p[jp.i] == ')':
		return errf(jp.i, "unmatched ')'")
	case jp.p[jp.i] == '&' || jp.p[jp.i] == '|':
		return jp.unknownLogical()
	}
	return errf(jp.i, "expected '&&', '||' or %q", c)
}

func (jp *jsonParser) unknownLogical() error {
	j := jp.i
	for j < len(jp.p) && (jp.p[j] == '&' || jp.p[j] == '|') {
		j++
	}
	return errf(jp.i, "unknown operator %q", jp.p[jp.i:j])
}

// logical consumes && or || if it comes next.
func (jp *jsonParser) logical(want string) bool {
	j := skipSpace(jp.p, jp.i)
	if !strings.HasPrefix(jp.p[j:], want) || (j+2 < len(jp.p) && (jp.p[j+2] == '&' || jp.p[j+2] == '|')) {
		return false
	}
	jp.i = j + 2
	return true
}

func (jp *jsonParser) parseOr() (*node, error) {
	return jp.parseList(nodeOr, "||", jp.parseAnd)
}

func (jp *jsonParser) parseAnd() (*node, error) {
	return jp.parseList(nodeAnd, "&&", jp.parsePrimary)
}

func (jp *jsonParser) parseList(kind nodeKind, sep string, next func() (*node, error)) (*node, error) {
	n, err := next()
	if err != nil {
		return nil, err
	}
	var kids []*node
	for jp.logical(sep) {
		k, err := next()
		if err != nil {
			return nil, err
		}
		if kids == nil {
			kids = merge(kids, kind, n)
		}
		kids = merge(kids, kind, k)
	}
	if kids == nil {
		return n, nil
	}
	return &node{kind: kind, kids: kids}, nil
}

// merge appends n to kids, or its kids if it is of the same kind: a && (b
// && c) is a && b && c.
func merge(kids []*node, kind nodeKind, n *node) []*node {
	if n.kind == kind {
		return append(kids, n.kids...)
	}
	return append(kids, n)
}

func (jp *jsonParser) parsePrimary() (*node, error) {
	jp.i = skipSpace(jp.p, jp.i)
	if jp.i == len(jp.p) {
		return nil, errf(jp.i, "expected a condition")
	}
	switch jp.p[jp.i] {
	case '(':
		open := jp.i
		jp.depth++
		if jp.depth > maxDepth {
			return nil, errf(open, "parentheses nest deeper than %d", maxDepth)
		}
		jp.i++
		n, err := jp.parseOr()
		if err != nil {
			return nil, err
		}
		if err := jp.expectClose(')', open); err != nil {
			return nil, err
		}
		jp.depth--
		return n, nil
	case '$':
		return jp.parseCond()
	}
	return nil, errf(jp.i, "expected a condition: a property selector starting with '$.', or '('")
}

func (jp *jsonParser) parseCond() (*node, error) {
	start := jp.i
	sel, end, err := parseSelector(jp.p, start)
	if err != nil {
		return nil, err
	}
	for _, s := range sel {
		if s.kind == segAnyField || s.kind == segAnyIndex {
			if jp.wildcards++; jp.wildcards > maxWildcardSelectors {
				return nil, errf(start, "a filter pattern holds at most %d selectors with a wildcard", maxWildcardSelectors)
			}
		}
	}
	c := jsonCond{sel: sel}
	if jp.i, err = jp.parsePredicate(&c, end); err != nil {
		return nil, err
	}
	if len(jp.conds) == maxConditions {
		return nil, errf(start, "a filter pattern holds at most %d conditions", maxConditions)
	}
	jp.conds = append(jp.conds, c)
	return &node{kind: nodeCond, cond: len(jp.conds) - 1}, nil
}

// parsePredicate reads what follows a selector: op value, IS NULL, IS
// TRUE, IS FALSE or NOT EXISTS.
func (jp *jsonParser) parsePredicate(c *jsonCond, i int) (int, error) {
	p := jp.p
	j := skipSpace(p, i)
	if j < len(p) && isAlnum(p[j]) {
		return jp.parseKeywords(c, i, j)
	}
	o, j, err := parseOp(p, j)
	if err != nil {
		if j0 := skipSpace(p, i); j0 == len(p) || !isOpChar(p[j0]) {
			return 0, errf(j0, "expected an operator (=, !=, <, <=, >, >=), IS or NOT EXISTS after the selector")
		}
		return 0, err
	}
	vpos := skipSpace(p, j)
	v, j, err := parseValue(p, j, o)
	if err != nil {
		return 0, err
	}
	if v.kind == valRegex {
		if jp.regexes++; jp.regexes > maxRegexes {
			return 0, errf(vpos, "a JSON filter pattern holds at most %d regular expressions", maxRegexes)
		}
	}
	c.kind, c.cmp = condCompare, comparison{op: o, val: v}
	return j, nil
}

// parseKeywords reads IS NULL, IS TRUE, IS FALSE or NOT EXISTS at p[j];
// i is where the selector ended.
func (jp *jsonParser) parseKeywords(c *jsonCond, i, j int) (int, error) {
	p := jp.p
	if j == i {
		return 0, errf(j, "expected a space after the selector")
	}
	w1, k := word(p, j)
	k2 := skipSpace(p, k)
	w2, end := word(p, k2)
	if k2 == k {
		w2 = ""
	}
	switch w1 {
	case "IS":
		switch w2 {
		case "NULL":
			c.kind = condIsNull
		case "TRUE":
			c.kind = condIsTrue
		case "FALSE":
			c.kind = condIsFalse
		case "NOT":
			return 0, errf(j, "IS NOT is not supported")
		default:
			return 0, errf(k2, "expected NULL, TRUE or FALSE after IS")
		}
	case "NOT":
		if w2 != "EXISTS" {
			return 0, errf(k2, "expected EXISTS after NOT")
		}
		c.kind = condNotExists
	case "EXISTS":
		return 0, errf(j, "EXISTS is not supported: use NOT EXISTS, or a comparison such as = *")
	default:
		return 0, errf(j, "unknown operator %q: expected =, !=, <, <=, >, >=, IS or NOT EXISTS", w1)
	}
	return end, nil
}

// word reads the letters and digits at p[i].
func word(p string, i int) (string, int) {
	j := i
	for j < len(p) && isAlnum(p[j]) {
		j++
	}
	return p[i:j], j
}

// parseSelector reads the property selector at p[i] ('$'): "$." then
// names, .* (any field), .['name'] (a name with periods or other
// characters), [n] (an array element) or [*] (any element). At most one
// wildcard.
func parseSelector(p string, i int) ([]segment, int, error) {
	start := i
	i++
	if i == len(p) || p[i] != '.' {
		return nil, 0, errf(i, "expected '.' after '$': property selectors start with '$.'")
	}
	var sel []segment
	wild := 0
	for i < len(p) && (p[i] == '.' || p[i] == '[') {
		var s segment
		var err error
		if p[i] == '.' {
			s, i, err = parseDotSegment(p, i)
		} else {
			s, i, err = parseIndexSegment(p, i)
		}
		if err != nil {
			return nil, 0, err
		}
		if s.kind == segAnyField || s.kind == segAnyIndex {
			if wild++; wild > 1 {
				return nil, 0, errf(start, "a property selector holds at most one wildcard")
			}
		}
		sel = append(sel, s)
	}
	return sel, i, nil
}

// parseDotSegment reads .name, .* or .['name'] at p[i].
func parseDotSegment(p string, i int) (segment, int, error) {
	i++
	switch {
	case i < len(p) && p[i] == '*':
		return segment{kind: segAnyField}, i + 1, nil
	case i < len(p) && p[i] == '[':
		if i+1 == len(p) || p[i+1] != '\'' {
			return segment{}, 0, errf(i, "expected ['name'] after '.'")
		}
		k := strings.IndexByte(p[i+2:], '\'')
		if k < 0 {
			return segment{}, 0, errf(i+1, "unmatched \"'\"")
		}
		name := p[i+2 : i+2+k]
		j := i + 2 + k + 1
		if j == len(p) || p[j] != ']' {
			return segment{}, 0, errf(j, "expected ']' after the quoted property name")
		}
		return segment{kind: segField, name: name}, j + 1, nil
	}
	j := i
	for j < len(p) && isPropertyNameChar(p[j]) {
		j++
	}
	if j == i {
		return segment{}, 0, errf(i, "expected a property name after '.'")
	}
	return segment{kind: segField, name: p[i:j]}, j, nil
}

// parseIndexSegment reads [n] or [*] at p[i].
func parseIndexSegment(p string, i int) (segment, int, error) {
	i++
	if strings.HasPrefix(p[i:], "*]") {
		return segment{kind: segAnyIndex}, i + 2, nil
	}
	j, ok := digits(p, i)
	if !ok || j == len(p) || p[j] != ']' {
		return segment{}, 0, errf(i, "expected an array index or * between '[' and ']'")
	}
	n, err := strconv.ParseInt(p[i:j], 10, 32)
	if err != nil {
		return segment{}, 0, errf(i, "array index %s is out of range", p[i:j])
	}
	return segment{kind: segIndex, index: int(n)}, j + 1, nil
}
