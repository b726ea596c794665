package cql

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestParseCanonical(t *testing.T) {
	for in, want := range map[string]string{
		// The examples of ECS's developer guide.
		"attribute:ecs.instance-type == t2.small":                                               "attribute:ecs.instance-type == t2.small",
		"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]":                           "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
		"attribute:ecs.instance-type =~ g2.*":                                                   "attribute:ecs.instance-type =~ g2.*",
		"task:group == service:production":                                                      "task:group == service:production",
		"not(task:group == database)":                                                           "not(task:group == database)",
		"runningTasksCount == 1":                                                                "runningTasksCount == 1",
		"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']":                                         "ec2InstanceId in [i-abcd1234, i-wxyx7890]",
		"attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a": "(attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a)",
		"attribute:stack exists":                                                                "attribute:stack exists",
		"attribute:stack !exists || attribute:stack not_exists":                                 "(attribute:stack !exists or attribute:stack !exists)",
		"attribute:a equals b AND attribute:c not_equals d":                                     "(attribute:a == b and attribute:c != d)",
		"attribute:a == 1 or attribute:b == 2 and attribute:c == 3":                             "(attribute:a == 1 or (attribute:b == 2 and attribute:c == 3))",
		"(attribute:a == 1 or attribute:b == 2) and !attribute:c == 3":                          "((attribute:a == 1 or attribute:b == 2) and not(attribute:c == 3))",
		"attribute:a !in [x]":                                                                   "attribute:a not_in [x]",
		"attribute:a in x":                                                                      "attribute:a in [x]",
		"attribute:a matches '(x|y)z' and attribute:b !~ q":                                     "(attribute:a =~ '(x|y)z' and attribute:b !~ q)",
		"not(attribute:a =~ (x|y))":                                                             "not(attribute:a =~ '(x|y)')",
		"attribute:a == 'two words'":                                                            "attribute:a == 'two words'",
		`attribute:a == "it's"`:                                                                 `attribute:a == "it's"`,
		"attribute:a == 'and'":                                                                  "attribute:a == 'and'",
		"registeredAt >= 2018-06-18T22:28:28Z":                                                  "registeredAt >= 2018-06-18T22:28:28Z",
	} {
		e, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := e.String(); got != want {
			t.Errorf("Parse(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "at character 1: expected a subject",
		"foo == bar":                     `at character 1: unknown subject "foo"`,
		"attribute:a":                    "at character 12: expected an operator after attribute:a",
		"attribute:a == ":                "at character 16: expected a value, found end of expression",
		"attribute:a in [x, ":            "expected a value",
		"attribute:a in [x y]":           `expected "," or "]" in the list, found "y"`,
		"(attribute:a exists":            `expected ")"`,
		"attribute:a exists)":            `unexpected ")"`,
		"attribute:a == 'x":              "unterminated quoted value",
		"attribute:a exists 'x":          "unterminated quoted value",
		"attribute:a exists and":         "expected a subject",
		"attribute:a ~= b":               "expected an operator",
		strings.Repeat("(", 150) + "x":   "nests too deeply",
		strings.Repeat("a", MaxLength+1): "longer than 2000 characters",
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.40q) = %v, want an error with %q", in, err, want)
		}
	}
}

func req(key string, op corev1.NodeSelectorOperator, vals ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: vals}
}

func TestToAffinity(t *testing.T) {
	nodeValues := map[string][]string{
		corev1.LabelInstanceTypeStable: {"c5.large", "t2.micro", "t2.small", "t3.small"},
	}
	values := func(key string) []string { return nodeValues[key] }
	const (
		it   = corev1.LabelInstanceTypeStable
		zone = corev1.LabelTopologyZone
	)
	for _, tc := range []struct {
		expr   string
		terms  [][]corev1.NodeSelectorRequirement
		groups []GroupRequirement
	}{
		{"attribute:ecs.instance-type == t2.small", [][]corev1.NodeSelectorRequirement{{req(it, "In", "t2.small")}}, nil},
		{"attribute:ecs.availability-zone not_in [b, a]", [][]corev1.NodeSelectorRequirement{{req(zone, "NotIn", "a", "b")}}, nil},
		{"attribute:ecs.instance-type =~ t2.*", [][]corev1.NodeSelectorRequirement{{req(it, "In", "t2.micro", "t2.small")}}, nil},
		{"attribute:ecs.instance-type == t*.small", [][]corev1.NodeSelectorRequirement{{req(it, "In", "t2.small", "t3.small")}}, nil},
		{"attribute:ecs.instance-type !~ t2.*", [][]corev1.NodeSelectorRequirement{{req(it, "NotIn", "t2.micro", "t2.small")}}, nil},
		{"attribute:ecs.instance-type =~ m5.*", [][]corev1.NodeSelectorRequirement{{req(LabelUnsatisfiable, "Exists")}}, nil},
		{"attribute:ecs.instance-type !~ m5.*", [][]corev1.NodeSelectorRequirement{nil}, nil},
		{"attribute:ecs.cpu-architecture == x86_64", [][]corev1.NodeSelectorRequirement{{req(corev1.LabelArchStable, "In", "amd64")}}, nil},
		{"attribute:ecs.os-type == linux", [][]corev1.NodeSelectorRequirement{{req(corev1.LabelOSStable, "In", "linux")}}, nil},
		{"ec2InstanceId in [n1, n2]", [][]corev1.NodeSelectorRequirement{{req(corev1.LabelHostname, "In", "n1", "n2")}}, nil},
		{"attribute:stack exists", [][]corev1.NodeSelectorRequirement{{req("ecs.attribute/stack", "Exists")}}, nil},
		{"not(attribute:stack exists)", [][]corev1.NodeSelectorRequirement{{req("ecs.attribute/stack", "DoesNotExist")}}, nil},
		{"attribute:gen >= 3", [][]corev1.NodeSelectorRequirement{{req("ecs.attribute/gen", "Gt", "2")}}, nil},
		{"not(attribute:gen > 3)", [][]corev1.NodeSelectorRequirement{{req("ecs.attribute/gen", "Lt", "4")}}, nil},
		{"(attribute:a == x or attribute:b == y) and attribute:c == z", [][]corev1.NodeSelectorRequirement{
			{req("ecs.attribute/a", "In", "x"), req("ecs.attribute/c", "In", "z")},
			{req("ecs.attribute/b", "In", "y"), req("ecs.attribute/c", "In", "z")}}, nil},
		{"not(attribute:a == x or attribute:b == y)", [][]corev1.NodeSelectorRequirement{
			{req("ecs.attribute/a", "NotIn", "x"), req("ecs.attribute/b", "NotIn", "y")}}, nil},
		{"task:group == service:web", nil, []GroupRequirement{{Values: []string{"service:web"}}}},
		{"not(task:group in [a, b]) and attribute:ecs.availability-zone == z1", [][]corev1.NodeSelectorRequirement{{req(zone, "In", "z1")}},
			[]GroupRequirement{{Anti: true, Values: []string{"a", "b"}}}},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		a, err := ToAffinity(e, values)
		if err != nil {
			t.Errorf("ToAffinity(%q): %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(a.NodeTerms, tc.terms) || !reflect.DeepEqual(a.Groups, tc.groups) {
			t.Errorf("ToAffinity(%q) = %v %v, want %v %v", tc.expr, a.NodeTerms, a.Groups, tc.terms, tc.groups)
		}
	}
}

func TestToAffinityErrors(t *testing.T) {
	for in, want := range map[string]string{
		"runningTasksCount == 1":              "runningTasksCount cannot be expressed",
		"agentConnected == true":              "agentConnected cannot be expressed",
		"task:group == a or attribute:b == c": "task:group can only be joined",
		"task:group =~ a.*":                   "task:group supports ==, !=, in and not_in",
		"attribute:gen > three":               `compares with an integer only`,
		"attribute:a == 'two words'":          "cannot be a node label value",
		"attribute:a =~ '(unclosed'":          "invalid regular expression",
		"attribute:a/b/c == x":                "not a valid label key",
		"(attribute:a == 1 or attribute:a == 2) and (attribute:b == 1 or attribute:b == 2) and (attribute:c == 1 or attribute:c == 2) and (attribute:d == 1 or attribute:d == 2) and (attribute:e == 1 or attribute:e == 2)": "more than 16 alternatives",
	} {
		e, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if _, err := ToAffinity(e, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ToAffinity(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

// FuzzParse: no input panics, and what parses prints in a canonical form
// that parses back to the same expression.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"attribute:ecs.instance-type =~ g2.*",
		"not(task:group == database) and attribute:a in [x, 'y z']",
		"(attribute:a exists || !attribute:b == \"it's\") && ec2InstanceId !in [i-1]",
		"attribute:a =~ (x|y)",
		"registeredAt >= 2018-06-18",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		canon := e.String()
		e2, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) → %q does not parse: %v", s, canon, err)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("Parse(%q) → %q parses to %s", s, canon, e2)
		}
		_, _ = ToAffinity(e, func(string) []string { return []string{"a", "b"} })
	})
}
