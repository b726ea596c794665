package translate

import (
	"encoding/json"
	"sort"
	"strings"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// honoured are the task definition members Berth carries into Kubernetes
// today, as JSON paths ("[]" stands for every list element). A member
// listed here is honoured with everything below it.
var honoured = []string{
	"family",
	"networkMode",             // every pod has its own IP, as awsvpc tasks do
	"requiresCompatibilities", // checked at admission
	"containerDefinitions[].name",
	"containerDefinitions[].image",
	"containerDefinitions[].essential", // standalone Tasks stop when an essential container exits
	"containerDefinitions[].cpu",
	"containerDefinitions[].memory",
	"containerDefinitions[].memoryReservation",
	"containerDefinitions[].entryPoint",
	"containerDefinitions[].command",
	"containerDefinitions[].environment",
	"containerDefinitions[].workingDirectory",
	"containerDefinitions[].portMappings[].containerPort",
	"containerDefinitions[].portMappings[].protocol",
	"containerDefinitions[].portMappings[].name",
}

// Unsupported lists the members set in a task definition that Berth does
// not honour yet, as sorted JSON paths, each at the highest level that is
// not honoured (containerDefinitions[].healthCheck, not its leaves). They
// are accepted and stored, and reported so that nothing is dropped
// silently.
func Unsupported(td *ecsv1alpha1.RegisterTaskDefinitionInput) []string {
	b, err := json.Marshal(td)
	if err != nil {
		panic(err) // plain data
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		panic(err)
	}
	found := map[string]bool{}
	walk("", doc, found)
	res := make([]string, 0, len(found))
	for p := range found {
		res = append(res, p)
	}
	sort.Strings(res)
	return res
}

func walk(path string, v any, found map[string]bool) {
	switch {
	case path != "" && isHonoured(path):
		return
	case path != "" && !isIntermediate(path):
		found[path] = true
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			walk(join(path, k), child, found)
		}
	case []any:
		for _, child := range x {
			walk(path+"[]", child, found)
		}
	default:
		found[path] = true
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isHonoured(path string) bool {
	for _, h := range honoured {
		if path == h {
			return true
		}
	}
	return false
}

// isIntermediate: some honoured member lies below path.
func isIntermediate(path string) bool {
	for _, h := range honoured {
		if strings.HasPrefix(h, path+".") || strings.HasPrefix(h, path+"[]") {
			return true
		}
	}
	return false
}
