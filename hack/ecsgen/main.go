// Command ecsgen generates Berth's ECS-shaped API structs from the Amazon ECS
// API model (botocore's service-2.json), so that every member of the request
// shapes Berth accepts exists with the ECS wire name and type, and stays
// current when the model changes.
//
// Usage: go run ./hack/ecsgen -model models/ecs/service-2.json -out api/v1alpha1/zz_generated.ecs.go
//
// With -wire -package P it writes instead the wire types of a whole model
// (every shape and operation) for the AWS API endpoint (wire.go).
//
// What the model cannot say about Kubernetes (which members Berth requires,
// list bounds used by CEL cost estimation, members dropped because a
// Kubernetes object replaces them) is configured in config.go.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"html"
	"os"
	"regexp"
	"strings"
	"unicode"
)

type ref struct {
	Shape         string `json:"shape"`
	Documentation string `json:"documentation"`
	Deprecated    bool   `json:"deprecated"`
}

type shape struct {
	Type          string         `json:"type"`
	Members       map[string]ref `json:"members"`
	Required      []string       `json:"required"`
	Member        *ref           `json:"member"`
	Key           *ref           `json:"key"`
	Value         *ref           `json:"value"`
	Enum          []string       `json:"enum"`
	Min           *float64       `json:"min"`
	Max           *float64       `json:"max"`
	Box           bool           `json:"box"`
	Documentation string         `json:"documentation"`
	Deprecated    bool           `json:"deprecated"`
	// Document marks a free-form JSON member (a Smithy document).
	Document bool `json:"document"`
	// Exception marks an error shape.
	Exception bool `json:"exception"`
	// Error is an exception's AWS Query error code and HTTP status.
	Error *shapeError `json:"error"`
}

// shapeError is an exception's "error" metadata: the error code of the
// AWS Query protocol (awsQueryCompatible services) and the HTTP status.
type shapeError struct {
	Code           string `json:"code"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	SenderFault    bool   `json:"senderFault"`
}

type operation struct {
	Input  *ref  `json:"input"`
	Output *ref  `json:"output"`
	Errors []ref `json:"errors"`
}

type model struct {
	Metadata   map[string]any       `json:"metadata"`
	Shapes     map[string]shape     `json:"shapes"`
	Operations map[string]operation `json:"operations"`
}

// memberOrder keeps the model's member order: Go maps lose it, so the raw
// JSON is scanned once more for each structure.
type orderedShapes map[string][]string

func main() {
	modelPath := flag.String("model", "models/ecs/service-2.json", "path to the ECS service-2.json model")
	out := flag.String("out", "api/v1alpha1/zz_generated.ecs.go", "output Go file")
	wire := flag.Bool("wire", false, "write the wire types and operation table of the whole model instead of Berth's spec types")
	pkg := flag.String("package", "", "Go package of the -wire output")
	boxAll := flag.Bool("box-all", false, "with -wire: every optional scalar is a pointer (models without box hints)")
	flag.Parse()

	raw, err := os.ReadFile(*modelPath)
	if err != nil {
		fail(err)
	}
	var m model
	if err := json.Unmarshal(raw, &m); err != nil {
		fail(err)
	}
	order, err := memberOrder(raw)
	if err != nil {
		fail(err)
	}
	var src []byte
	if *wire {
		src, err = (&wireGen{m: m, order: order, pkg: *pkg, boxAll: *boxAll}).run()
	} else {
		src, err = (&gen{m: m, order: order, emitted: map[string]bool{}}).run()
	}
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ecsgen:", err)
	os.Exit(1)
}

// memberOrder decodes shapes.<name>.members as ordered key lists.
func memberOrder(raw []byte) (orderedShapes, error) {
	var top struct {
		Shapes map[string]json.RawMessage `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	res := orderedShapes{}
	for name, body := range top.Shapes {
		var s struct {
			Members json.RawMessage `json:"members"`
		}
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, err
		}
		if len(s.Members) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(s.Members))
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		var keys []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			keys = append(keys, tok.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
		res[name] = keys
	}
	return res, nil
}

type gen struct {
	m       model
	order   orderedShapes
	emitted map[string]bool
	queue   []string
	buf     bytes.Buffer
	// usesRuntime is set when a member is k8s.io/apimachinery/pkg/runtime.RawExtension.
	usesRuntime bool
}

func (g *gen) run() ([]byte, error) {
	g.buf.WriteString(header)
	for _, r := range roots {
		g.queue = append(g.queue, r.shape)
	}
	for len(g.queue) > 0 {
		name := g.queue[0]
		g.queue = g.queue[1:]
		if g.emitted[name] {
			continue
		}
		g.emitted[name] = true
		s, ok := g.m.Shapes[name]
		if !ok {
			return nil, fmt.Errorf("shape %s not in model", name)
		}
		switch {
		case s.Type == "structure":
			if err := g.structure(name, s); err != nil {
				return nil, err
			}
		case s.Type == "string" && len(s.Enum) > 0:
			g.enum(name, s)
		}
	}
	out := g.buf.Bytes()
	if g.usesRuntime {
		out = bytes.Replace(out, []byte("package v1alpha1\n"), []byte("package v1alpha1\n\nimport \"k8s.io/apimachinery/pkg/runtime\"\n"), 1)
	}
	src, err := format.Source(out)
	if err != nil {
		return g.buf.Bytes(), fmt.Errorf("gofmt: %w", err)
	}
	return src, nil
}

const header = `// Code generated by hack/ecsgen from the Amazon ECS API model (service-2.json). DO NOT EDIT.

// The types in this file mirror the ECS API request shapes member for member,
// with the ECS wire names and types, so that an ECS JSON document is a valid
// Berth spec. Kubernetes-specific fields live in the hand-written *_types.go
// files.

package v1alpha1

`

// typeName is the Go name of a model shape.
func typeName(shapeName string) string {
	if n, ok := renames[shapeName]; ok {
		return n
	}
	return shapeName
}

func (g *gen) goType(r ref, required bool) (string, []string) {
	s := g.m.Shapes[r.Shape]
	var markers []string
	switch s.Type {
	case "structure":
		if s.Document {
			// Free-form JSON, kept as sent: ECS passes it on unchanged.
			g.usesRuntime = true
			return "*runtime.RawExtension", []string{"+kubebuilder:pruning:PreserveUnknownFields", "+kubebuilder:validation:Type=object"}
		}
		g.queue = append(g.queue, r.Shape)
		if required {
			return typeName(r.Shape), nil
		}
		return "*" + typeName(r.Shape), nil
	case "list":
		elem := g.m.Shapes[s.Member.Shape]
		var et string
		switch elem.Type {
		case "structure":
			g.queue = append(g.queue, s.Member.Shape)
			et = typeName(s.Member.Shape)
		case "string":
			if len(elem.Enum) > 0 {
				g.queue = append(g.queue, s.Member.Shape)
				et = typeName(s.Member.Shape)
			} else {
				et = "string"
				if elem.Max != nil {
					markers = append(markers, fmt.Sprintf("+kubebuilder:validation:items:MaxLength=%d", int(*elem.Max)))
				}
			}
		case "integer":
			et = "int32"
		case "long":
			et = "int64"
		case "boolean":
			et = "bool"
		default:
			panic("unsupported list element " + elem.Type)
		}
		markers = append(markers, "+listType=atomic")
		return "[]" + et, markers
	case "map":
		return "map[string]string", nil
	case "string":
		if len(s.Enum) > 0 {
			g.queue = append(g.queue, r.Shape)
			return typeName(r.Shape), nil
		}
		return "string", nil
	case "integer":
		if required {
			return "int32", nil
		}
		return "*int32", nil
	case "long":
		if required {
			return "int64", nil
		}
		return "*int64", nil
	case "boolean":
		if required {
			return "bool", nil
		}
		return "*bool", nil
	case "double":
		if required {
			return "float64", nil
		}
		return "*float64", nil
	}
	panic("unsupported shape type " + s.Type + " for " + r.Shape)
}

func (g *gen) structure(name string, s shape) error {
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	for _, r := range extraRequired[name] {
		req[r] = true
	}
	for _, r := range notRequired[name] {
		delete(req, r)
	}
	if renamed, ok := renames[name]; ok {
		op := strings.TrimSuffix(name, "Request")
		fmt.Fprintf(&g.buf, "// %s holds the members of the ECS %s request, with their ECS JSON names.\n", renamed, op)
	} else {
		g.comment(typeName(name), s.Documentation, "")
	}
	if m, ok := typeMarkers[name]; ok {
		for _, mk := range m {
			fmt.Fprintf(&g.buf, "// %s\n", mk)
		}
	}
	fmt.Fprintf(&g.buf, "type %s struct {\n", typeName(name))
	for _, member := range g.order[name] {
		if skipMembers[name+"."+member] {
			continue
		}
		r := s.Members[member]
		ms := g.m.Shapes[r.Shape]
		required := req[member]
		goT, markers := g.goType(r, required)
		g.buf.WriteString("\n")
		g.comment(member, r.Documentation, ms.Documentation)
		if r.Deprecated || ms.Deprecated {
			g.buf.WriteString("//\n// Deprecated: the ECS API marks this member deprecated; Berth accepts it and reports it unsupported.\n")
		}
		if required {
			g.buf.WriteString("// +required\n")
		} else {
			g.buf.WriteString("// +optional\n")
		}
		markers = append(markers, scalarMarkers(ms)...)
		if lb, ok := listBounds[name+"."+member]; ok {
			markers = append(markers, fmt.Sprintf("+kubebuilder:validation:MaxItems=%d", lb))
		} else if ms.Type == "list" {
			if ms.Max != nil {
				markers = append(markers, fmt.Sprintf("+kubebuilder:validation:MaxItems=%d", int(*ms.Max)))
			} else {
				markers = append(markers, fmt.Sprintf("+kubebuilder:validation:MaxItems=%d", defaultMaxItems))
			}
		}
		if ms.Type == "map" {
			markers = append(markers, fmt.Sprintf("+kubebuilder:validation:MaxProperties=%d", defaultMaxProperties))
		}
		markers = append(markers, memberMarkers[name+"."+member]...)
		for _, mk := range markers {
			fmt.Fprintf(&g.buf, "// %s\n", mk)
		}
		tag := member
		if !required {
			tag += ",omitempty"
		}
		fmt.Fprintf(&g.buf, "%s %s `json:\"%s\"`\n", exported(member), goT, tag)
	}
	g.buf.WriteString("}\n\n")
	return nil
}

func scalarMarkers(s shape) []string {
	var res []string
	switch s.Type {
	case "integer", "long":
		if s.Min != nil {
			res = append(res, fmt.Sprintf("+kubebuilder:validation:Minimum=%d", int64(*s.Min)))
		}
		if s.Max != nil {
			res = append(res, fmt.Sprintf("+kubebuilder:validation:Maximum=%d", int64(*s.Max)))
		}
	case "string":
		if len(s.Enum) > 0 {
			return nil
		}
		if s.Min != nil && *s.Min > 0 {
			res = append(res, fmt.Sprintf("+kubebuilder:validation:MinLength=%d", int(*s.Min)))
		}
		if s.Max != nil {
			res = append(res, fmt.Sprintf("+kubebuilder:validation:MaxLength=%d", int(*s.Max)))
		}
	}
	return res
}

func (g *gen) enum(name string, s shape) {
	tn := typeName(name)
	g.comment(tn, s.Documentation, "")
	fmt.Fprintf(&g.buf, "// +kubebuilder:validation:Enum=%s\n", strings.Join(quoteEnum(s.Enum), ";"))
	fmt.Fprintf(&g.buf, "type %s string\n\n", tn)
	fmt.Fprintf(&g.buf, "// Values of %s.\nconst (\n", tn)
	seen := map[string]bool{}
	for _, v := range s.Enum {
		c := tn + exported(constWord(v))
		if seen[c] {
			c += "_"
		}
		seen[c] = true
		fmt.Fprintf(&g.buf, "%s %s = %q\n", c, tn, v)
	}
	g.buf.WriteString(")\n\n")
}

func quoteEnum(vs []string) []string {
	res := make([]string, len(vs))
	for i, v := range vs {
		res[i] = v
		if strings.ContainsAny(v, ";,= ") {
			res[i] = fmt.Sprintf("%q", v)
		}
	}
	return res
}

func constWord(v string) string {
	parts := strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, p := range parts {
		p = strings.ToLower(p)
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// exported turns an ECS member name into an exported Go identifier.
func exported(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	tagRE   = regexp.MustCompile(`<[^>]+>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// comment writes a doc comment: the subject, then the model's first
// paragraph, plain text, cut to about two sentences.
func (g *gen) comment(subject, doc, fallback string) {
	if doc == "" {
		doc = fallback
	}
	text := summarize(doc)
	if text == "" {
		fmt.Fprintf(&g.buf, "// %s is the ECS member of that name.\n", subject)
		return
	}
	lines := wrap(subject+": "+text, 96)
	for _, l := range lines {
		fmt.Fprintf(&g.buf, "// %s\n", l)
	}
}

func summarize(doc string) string {
	if i := strings.Index(doc, "</p>"); i >= 0 {
		doc = doc[:i]
	}
	doc = tagRE.ReplaceAllString(doc, "")
	doc = html.UnescapeString(doc)
	doc = strings.TrimSpace(spaceRE.ReplaceAllString(doc, " "))
	// At most two sentences and 400 characters.
	sentences := 0
	for i := 0; i < len(doc); i++ {
		if doc[i] == '.' && (i+1 == len(doc) || doc[i+1] == ' ') {
			sentences++
			if sentences == 2 || i > 400 {
				return doc[:i+1]
			}
		}
	}
	if len(doc) > 400 {
		cut := strings.LastIndex(doc[:400], " ")
		return doc[:cut] + " ..."
	}
	return doc
}

func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(s) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		// Marker-looking words would be parsed by controller-gen.
		cur.WriteString(strings.TrimPrefix(w, "+"))
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
