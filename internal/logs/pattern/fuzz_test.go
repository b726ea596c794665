package pattern

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// sampleMessages are the events every fuzzed pattern is matched against.
var sampleMessages = []string{
	"", " ", "ERROR", "error", "x y", "a b c", err400, err419,
	`"quoted words" [bracketed words] last`,
	jsonEvent, compoundEvent, apacheEvent, apache2, info1, warn1, error1,
	`{}`, `{"a": 1}`, `{"a": "x", "b": [1, "2", null, true]}`, `{"a": {"b": {"c": -1.5e3}}}`,
	`{"a": "1"}`, `{"a": null}`, `{"": ""}`, `{"a": [[1], {"b": 2}]}`, `[1]`, `{"a": 1`,
}

// seedPatterns are the patterns of every test table.
func seedPatterns() []string {
	var seeds []string
	for _, group := range [][]docCase{
		docUnstructured, docRegex, docJSON, docJSONArchived, docNumeric, docDelimited,
		docDelimitedArchived, docUnstructuredArchived, docLightsail, matchCases,
	} {
		for _, c := range group {
			seeds = append(seeds, c.pattern)
		}
	}
	for _, c := range syntaxErrorCases {
		seeds = append(seeds, c.pattern)
	}
	return seeds
}

// FuzzParse checks that Parse never panics, that its errors are
// *SyntaxError within the pattern, and that String round-trips: the
// canonical form parses, prints identically and matches the same events.
func FuzzParse(f *testing.F) {
	for _, s := range seedPatterns() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v (%T), want a *SyntaxError", s, err, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q): position %d is outside the pattern", s, se.Pos)
			}
			return
		}
		canon := p.String()
		p2, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", s, canon, err)
		}
		if again := p2.String(); again != canon {
			t.Fatalf("Parse(%q).String() = %q, but that prints as %q", s, canon, again)
		}
		for _, m := range append(sampleMessages, s, canon) {
			if p.Match(m) != p2.Match(m) {
				t.Fatalf("%q and its canonical form %q disagree on %q", s, canon, m)
			}
		}
	})
}

// FuzzMatch matches fuzzed events against fuzzed patterns: no panic, and
// the canonical form agrees.
func FuzzMatch(f *testing.F) {
	for _, group := range [][]docCase{docJSON, docDelimited, docRegex, matchCases} {
		for _, c := range group {
			for _, m := range append(c.match, c.noMatch...) {
				f.Add(c.pattern, m)
			}
		}
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		p2, err := Parse(p.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q: %v", p.String(), pattern, err)
		}
		if p.Match(message) != p2.Match(message) {
			t.Fatalf("%q and %q disagree on %q", pattern, p.String(), message)
		}
	})
}

// jsonValidity is a pattern every JSON object without the key "zz"
// matches: it tells whether the scanner took the message for JSON.
var jsonValidity = &Pattern{}

func init() {
	p, err := Parse(`{ $.zz NOT EXISTS }`)
	if err != nil {
		panic(err)
	}
	jsonValidity = p
}

// acceptsJSON is what the scanner should accept: valid JSON (for
// encoding/json) whose value is an object without the key "zz".
func acceptsJSON(msg string) bool {
	if !json.Valid([]byte(msg)) {
		return false
	}
	var v any
	if err := json.Unmarshal([]byte(msg), &v); err != nil {
		return false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, has := obj["zz"]
	return !has
}

// FuzzJSONScan checks the scanner accepts exactly the JSON encoding/json
// accepts.
func FuzzJSONScan(f *testing.F) {
	for _, m := range sampleMessages {
		f.Add(m)
	}
	for _, m := range []string{
		`{"a":"\u00e9\ud83d\ude00\ud800x"}`, `{"a":"\"\\\/\b\f\n\r\t"}`, `{"a":"\x"}`, `{"a":"` + "\x01" + `"}`,
		`{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-0.0e+7}`, `{"a":tru}`, `{"a":nul}`,
		`{"a":[1,]}`, `{"a":1,}`, `{,}`, `{"a" 1}`, ` {"zz":1} `, "{\"a\":\"\xff\"}", `{"a":"\u12"}`,
		strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		if got, want := jsonValidity.Match(msg), acceptsJSON(msg); got != want {
			t.Fatalf("scanner accepts %q: %v, encoding/json: %v", msg, got, want)
		}
	})
}

// FuzzJSONString checks the scanner decodes strings as encoding/json
// does: {"k": <string>} matches { $.k = <the decoded string> }.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{``, `x`, `\"`, `\\`, `\u00e9`, `\ud83d\ude00`, `\ud800`, `\ud800\u0041`, `\udc00\ud800`, `a*b`, `*x*`, `\/\b\f\n\r\t`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg := `{"k":"` + s + `"}`
		var v map[string]string
		if json.Unmarshal([]byte(msg), &v) != nil {
			if jsonValidity.Match(msg) {
				t.Fatalf("scanner accepts %q", msg)
			}
			return
		}
		want := v["k"]
		if !utf8.ValidString(s) {
			return // encoding/json replaces invalid UTF-8; we keep it.
		}
		w := printer{}
		quote(&w, want)
		pattern := `{$.k=` + w.b.String() + `}`
		if utf8.RuneCountInString(pattern) > maxPatternLength {
			return
		}
		p, err := Parse(pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", pattern, err)
		}
		if !p.Match(msg) {
			t.Fatalf("%q does not match %q (decoded %q)", pattern, msg, want)
		}
	})
}
