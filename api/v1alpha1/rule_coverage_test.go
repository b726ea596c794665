package v1alpha1

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/yaml"
)

// Every CEL rule of every CRD (x-kubernetes-validations in
// config/crd/bases) must be the expected cause of at least one invalid
// object of the validation tables: expectCauses records each cause it
// matched, with the object's kind, and TestMain checks, after a full run of
// the package, that every rule was answered — at its field path, with its
// message — by the API server. A rule without a case fails the package.

// answered records what the API server refused during the run.
var answered struct {
	sync.Mutex
	causes  map[string][]string // kind + "|" + field without indices → rule messages
	objects map[string]int      // invalid objects per kind
}

// recordCauses notes that err, the API server's answer to an object,
// carried exactly the causes want.
func recordCauses(err error, want []cause) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return
	}
	kind := status.Status().Details.Kind
	answered.Lock()
	defer answered.Unlock()
	if answered.causes == nil {
		answered.causes, answered.objects = map[string][]string{}, map[string]int{}
	}
	answered.objects[kind]++
	for _, c := range want {
		if msg, ok := strings.CutPrefix(c.Message, "Invalid value: "); ok {
			k := kind + "|" + withoutIndices(c.Field)
			answered.causes[k] = append(answered.causes[k], msg)
		}
	}
}

var indices = regexp.MustCompile(`\[[^]]*\]`)

// withoutIndices is a cause's field as the schema names it:
// spec.scalingPolicies[0].alarms[1].period → spec.scalingPolicies.alarms.period.
func withoutIndices(field string) string { return indices.ReplaceAllString(field, "") }

// crdRule is one x-kubernetes-validations rule of a CRD.
type crdRule struct {
	kind string
	// field is where the API server reports a failure: the schema path of
	// the rule plus its fieldPath, without indices ("<nil>": the object).
	field string
	// message matches the rule's message (its messageExpression, with any
	// value in the expressions' places).
	message *regexp.Regexp
	text    string // the message or messageExpression, for reports
}

func (r crdRule) String() string { return fmt.Sprintf("%s %s: %s", r.kind, r.field, r.text) }

// crdRules reads every rule of the CRDs in dir.
func crdRules(dir string) ([]crdRule, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRDs in %s", dir)
	}
	var rules []crdRule
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, v := range crd.Spec.Versions {
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			if rules, err = schemaRules(rules, crd.Spec.Names.Kind, "", v.Schema.OpenAPIV3Schema); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	return rules, nil
}

func schemaRules(rules []crdRule, kind, path string, s *apiextensionsv1.JSONSchemaProps) ([]crdRule, error) {
	for _, v := range s.XValidations {
		field := strings.TrimPrefix(path+v.FieldPath, ".")
		if field == "" {
			field = "<nil>"
		}
		r := crdRule{kind: kind, field: withoutIndices(field), text: v.Message}
		if v.MessageExpression != "" {
			re, err := messageExpressionPattern(v.MessageExpression)
			if err != nil {
				return nil, err
			}
			r.message, r.text = re, v.MessageExpression
		} else {
			r.message = regexp.MustCompile("^" + regexp.QuoteMeta(v.Message) + "$")
		}
		rules = append(rules, r)
	}
	var err error
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		if rules, err = schemaRules(rules, kind, path+"."+name, &p); err != nil {
			return nil, err
		}
	}
	if s.Items != nil && s.Items.Schema != nil {
		if rules, err = schemaRules(rules, kind, path, s.Items.Schema); err != nil {
			return nil, err
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		if rules, err = schemaRules(rules, kind, path, s.AdditionalProperties.Schema); err != nil {
			return nil, err
		}
	}
	return rules, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// messageExpressionPattern matches the messages a CEL messageExpression
// that concatenates string literals and expressions can give: the
// literals as written, anything in the expressions' places.
func messageExpressionPattern(expr string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	rest := strings.TrimSpace(expr)
	for rest != "" {
		switch rest[0] {
		case '\'', '"':
			end := strings.IndexByte(rest[1:], rest[0])
			if end < 0 || strings.Contains(rest[1:end+1], `\`) {
				return nil, fmt.Errorf("messageExpression %s: only plain string literals are understood", expr)
			}
			b.WriteString(regexp.QuoteMeta(rest[1 : end+1]))
			rest = rest[end+2:]
		default:
			end := strings.IndexByte(rest, '+')
			if end < 0 {
				end = len(rest)
			}
			if strings.ContainsAny(rest[:end], `'"`) {
				return nil, fmt.Errorf("messageExpression %s: only literals and expressions joined by + are understood", expr)
			}
			b.WriteString(".*")
			rest = rest[end:]
		}
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != '+' {
				return nil, fmt.Errorf("messageExpression %s: only literals and expressions joined by + are understood", expr)
			}
			rest = strings.TrimSpace(rest[1:])
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// uncoveredRules are the rules no recorded cause answered.
func uncoveredRules(rules []crdRule) []crdRule {
	answered.Lock()
	defer answered.Unlock()
	var missing []crdRule
	for _, r := range rules {
		found := false
		for _, msg := range answered.causes[r.kind+"|"+r.field] {
			if r.message.MatchString(msg) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, r)
		}
	}
	return missing
}

// fullRun tells whether every test of the package ran: no -run, no -skip.
func fullRun() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return shared.started
}

// checkRuleCoverage is TestMain's check after a full, passing run: it
// reports the rules no case exercised on w and returns the exit code.
// With -v it states how many invalid objects each kind had.
func checkRuleCoverage(w io.Writer) int {
	if !fullRun() {
		return 0
	}
	rules, err := crdRules(filepath.Join("..", "..", "config", "crd", "bases"))
	if err != nil {
		fmt.Fprintln(w, "FAIL: CEL rule coverage:", err)
		return 1
	}
	missing := uncoveredRules(rules)
	if testing.Verbose() {
		answered.Lock()
		total, parts := 0, []string{}
		for _, kind := range sortedKeys(answered.objects) {
			total += answered.objects[kind]
			parts = append(parts, fmt.Sprintf("%s %d", kind, answered.objects[kind]))
		}
		answered.Unlock()
		fmt.Fprintf(w, "validation: %d invalid objects refused with field paths and messages (%s); %d of %d CEL rules exercised\n",
			total, strings.Join(parts, ", "), len(rules)-len(missing), len(rules))
	}
	if len(missing) == 0 {
		return 0
	}
	fmt.Fprintf(w, "FAIL: %d CEL rules of config/crd/bases are the expected cause of no invalid object in the validation tables; add a case for each:\n", len(missing))
	for _, r := range missing {
		fmt.Fprintln(w, "  ", r)
	}
	return 1
}

// TestCRDRulesRead guards the coverage check against a vacuous pass: the
// CRDs' rules are all read, and every messageExpression is understood.
func TestCRDRulesRead(t *testing.T) {
	rules, err := crdRules(filepath.Join(moduleRoot(t), "config", "crd", "bases"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range rules {
		kinds[r.kind]++
	}
	if len(rules) < 90 || len(kinds) != 8 {
		t.Fatalf("%d rules of %d kinds read (%v); the CRDs have more than 90 of 8", len(rules), len(kinds), kinds)
	}
	re, err := messageExpressionPattern(`'No Fargate configuration exists for given values: ' + self.cpu + ' CPU, ' + self.memory + ' memory'`)
	if err != nil {
		t.Fatal(err)
	}
	if !re.MatchString("No Fargate configuration exists for given values: 256 CPU, 4096 memory") || re.MatchString("No Fargate configuration exists") {
		t.Errorf("messageExpression pattern %s", re)
	}
}
