package compat

// Input is one AWS API input a kind's spec holds, with its table.
type Input struct {
	// Operation is the API operation (CreateService).
	Operation string
	// Model is the API model, under models/ (ecs/service-2.json).
	Model string
	// Shape is the operation's input shape in the model.
	Shape string
	// Kind is the Berth kind whose spec holds the input.
	Kind string
	// Where says where in the kind's spec the input is ("" for the whole
	// spec).
	Where string
	// Table is how Berth honours each member.
	Table Table
}

// Doc is the input's generated compatibility document, relative to the
// repository's docs/ (compatibility/create-service.md).
func (in Input) Doc() string {
	return "compatibility/" + kebab(in.Operation) + ".md"
}

// Inputs lists the inputs with a table here (RegisterTaskDefinition's is
// internal/translate's Compatibility, docs/compatibility.md).
var Inputs = []Input{
	{Operation: "CreateService", Model: "ecs/service-2.json", Shape: "CreateServiceRequest", Kind: "Service", Table: CreateService},
}

func kebab(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b = append(b, '-')
			}
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
