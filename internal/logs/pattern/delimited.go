package pattern

import "strings"

// dfield is a field of a space-delimited pattern: a name, "..." (any
// number of fields), or nothing (an unnamed field), with conditions on
// its value: the || of && groups of comparisons.
type dfield struct {
	name     string
	ellipsis bool
	groups   [][]comparison
}

func (f *dfield) test(v string) bool {
	if f.groups == nil {
		return true
	}
	for _, g := range f.groups {
		ok := true
		for k := range g {
			if !g[k].matchText(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// delimMatcher matches space-delimited log events against [fields]. The
// characters between [ and ] or between double quotes make one field.
// Without an ellipsis the last field takes the rest of the event (hence
// the documented "blank indicator" w2 in [w1=ERROR, w2]); an ellipsis
// takes any number of fields, the fields after it matching the event's
// last ones.
type delimMatcher struct {
	fields   []dfield
	ellipsis int // index of the "..." field, or -1
}

func (m *delimMatcher) match(msg string) bool {
	if m.ellipsis >= 0 {
		return m.matchEllipsis(msg)
	}
	n := len(m.fields)
	if n == 0 {
		return true
	}
	pos := 0
	for k := 0; k < n; k++ {
		t, ok := nextToken(msg, pos)
		if !ok {
			return false
		}
		v := msg[t.vstart:t.vend]
		if k == n-1 {
			// The last field takes the rest of the event.
			if rest := trimRightSpace(msg); t.end < len(rest) {
				v = rest[t.start:]
			}
		}
		if !m.fields[k].test(v) {
			return false
		}
		pos = t.end
	}
	return true
}

func (m *delimMatcher) matchEllipsis(msg string) bool {
	e := m.ellipsis
	pos := 0
	for k := 0; k < e; k++ {
		t, ok := nextToken(msg, pos)
		if !ok || !m.fields[k].test(msg[t.vstart:t.vend]) {
			return false
		}
		pos = t.end
	}
	after := len(m.fields) - 1 - e
	if after == 0 {
		return true
	}
	// Keep the last `after` tokens in a ring.
	var buf [16]token
	ring := buf[:]
	if after > len(buf) {
		ring = make([]token, after)
	}
	ring = ring[:after]
	count := 0
	for {
		t, ok := nextToken(msg, pos)
		if !ok {
			break
		}
		ring[count%after] = t
		count++
		pos = t.end
	}
	if count < after {
		return false
	}
	for k := 0; k < after; k++ {
		t := ring[(count-after+k)%after]
		if !m.fields[e+1+k].test(msg[t.vstart:t.vend]) {
			return false
		}
	}
	return true
}

// token is a field of an event: [start, end) in the event, [vstart, vend)
// its value (without the brackets or quotes around it).
type token struct {
	start, end, vstart, vend int
}

// nextToken returns the field at or after s[i].
func nextToken(s string, i int) (token, bool) {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) {
		return token{}, false
	}
	if c := s[i]; c == '"' || c == '[' {
		closing := byte('"')
		if c == '[' {
			closing = ']'
		}
		if k := strings.IndexByte(s[i+1:], closing); k >= 0 {
			return token{start: i, end: i + 1 + k + 1, vstart: i + 1, vend: i + 1 + k}, true
		}
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	return token{start: i, end: j, vstart: i, vend: j}, true
}

func trimRightSpace(s string) string {
	j := len(s)
	for j > 0 && isSpace(s[j-1]) {
		j--
	}
	return s[:j]
}

func (m *delimMatcher) format(w *printer) {
	w.b.WriteByte('[')
	for k := range m.fields {
		if k > 0 {
			w.b.WriteByte(',')
			w.space()
		}
		f := &m.fields[k]
		if f.ellipsis {
			w.b.WriteString("...")
			continue
		}
		for g, group := range f.groups {
			if g > 0 {
				w.space()
				w.b.WriteString("||")
				w.space()
			}
			for c := range group {
				if c > 0 {
					w.space()
					w.b.WriteString("&&")
					w.space()
				}
				w.b.WriteString(f.name)
				group[c].format(w)
			}
		}
		if f.groups == nil {
			w.b.WriteString(f.name)
		}
	}
	w.b.WriteByte(']')
}

func isFieldNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// parseDelimited parses [field, field, ...]. A field is "...", a name
// with or without conditions (name op value, joined by && and ||, each
// naming the field), or nothing.
func parseDelimited(p string, open int) (*delimMatcher, error) {
	m := &delimMatcher{ellipsis: -1}
	i := skipSpace(p, open+1)
	if i < len(p) && p[i] == ']' {
		return m, endOfPattern(p, i+1, "]")
	}
	names := map[string]bool{}
	regexes := 0
	for {
		i = skipSpace(p, i)
		if i == len(p) {
			return nil, errf(open, "unmatched '['")
		}
		f, end, err := parseField(p, i, &regexes)
		if err != nil {
			return nil, err
		}
		if err := m.add(f, i, names); err != nil {
			return nil, err
		}
		i = skipSpace(p, end)
		switch {
		case i == len(p):
			return nil, errf(open, "unmatched '['")
		case p[i] == ',':
			i++
		case p[i] == ']':
			return m, endOfPattern(p, i+1, "]")
		case p[i] == '&' || p[i] == '|':
			return nil, errf(i, "unknown operator %q", logicalRun(p, i))
		default:
			return nil, errf(i, "expected ',' or ']'")
		}
	}
}

// add appends the field f, read at pos.
func (m *delimMatcher) add(f dfield, pos int, names map[string]bool) error {
	switch {
	case f.ellipsis && m.ellipsis >= 0:
		return errf(pos, "a filter pattern holds at most one ellipsis (...)")
	case f.ellipsis:
		m.ellipsis = len(m.fields)
	case f.name != "" && names[f.name]:
		return errf(pos, "field %q is named twice", f.name)
	}
	names[f.name] = true
	m.fields = append(m.fields, f)
	return nil
}

func endOfPattern(p string, i int, after string) error {
	if j := skipSpace(p, i); j < len(p) {
		return errf(j, "unexpected text after %q", after)
	}
	return nil
}

func logicalRun(p string, i int) string {
	j := i
	for j < len(p) && (p[j] == '&' || p[j] == '|') {
		j++
	}
	return p[i:j]
}

// parseField reads the field at p[i], which is not a space.
func parseField(p string, i int, regexes *int) (dfield, int, error) {
	if strings.HasPrefix(p[i:], "...") {
		return dfield{ellipsis: true}, i + 3, nil
	}
	if p[i] == ',' || p[i] == ']' {
		return dfield{}, i, nil
	}
	name, end := fieldName(p, i)
	if name == "" {
		return dfield{}, 0, errf(i, "expected a field name (a letter or '_', then letters, digits or '_'), '...' or ','")
	}
	f := dfield{name: name}
	j := skipSpace(p, end)
	if j == len(p) || !isOpChar(p[j]) {
		return f, end, nil
	}
	group := []comparison{}
	for {
		c, next, err := parseComparison(p, j, regexes)
		if err != nil {
			return f, 0, err
		}
		group = append(group, c)
		end = next
		j = skipSpace(p, next)
		var sep string
		switch {
		case strings.HasPrefix(p[j:], "&&") && logicalRun(p, j) == "&&":
			sep = "&&"
		case strings.HasPrefix(p[j:], "||") && logicalRun(p, j) == "||":
			sep = "||"
		default:
			f.groups = append(f.groups, group)
			return f, end, nil
		}
		if j, err = expectFieldName(p, j+2, name); err != nil {
			return f, 0, err
		}
		if sep == "||" {
			f.groups = append(f.groups, group)
			group = []comparison{}
		}
	}
}

func fieldName(p string, i int) (string, int) {
	if i == len(p) || !isFieldNameStart(p[i]) {
		return "", i
	}
	j := i + 1
	for j < len(p) && isWordChar(p[j]) {
		j++
	}
	return p[i:j], j
}

// expectFieldName reads, after && or ||, the field's name again and
// returns where its operator starts.
func expectFieldName(p string, i int, name string) (int, error) {
	i = skipSpace(p, i)
	got, end := fieldName(p, i)
	switch {
	case got == "":
		return 0, errf(i, "expected the field name %q after the logical operator", name)
	case got != name:
		return 0, errf(i, "a condition of field %q names %q: each field's conditions name the field itself", name, got)
	}
	j := skipSpace(p, end)
	if j == len(p) || !isOpChar(p[j]) {
		return 0, errf(j, "expected an operator (=, !=, <, <=, >, >=) after %q", name)
	}
	return j, nil
}

func parseComparison(p string, i int, regexes *int) (comparison, int, error) {
	o, j, err := parseOp(p, i)
	if err != nil {
		return comparison{}, 0, err
	}
	vpos := skipSpace(p, j)
	v, end, err := parseValue(p, j, o)
	if err != nil {
		return comparison{}, 0, err
	}
	if v.kind == valRegex {
		if *regexes++; *regexes > maxRegexes {
			return comparison{}, 0, errf(vpos, "a space-delimited filter pattern holds at most %d regular expressions", maxRegexes)
		}
	}
	return comparison{op: o, val: v}, end, nil
}
