// Package awscbor holds what the Smithy RPC v2 CBOR protocol needs on the
// server's side of the wire: the request path, the headers, decoding a
// request into a generated wire type and encoding a response from one, and
// the error body.
//
// The wire types are the AWS JSON ones (internal/awsapi/*wire): the codec,
// github.com/fxamacker/cbor, takes a field's name and omitempty from its json
// tag when it has no cbor tag; a blob ([]byte) is a byte string, and
// awsjson.Timestamp writes and reads tag 1 (epoch seconds) itself.
package awscbor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/berth-dev/berth/internal/awsapi/awsjson"
)

const (
	// ContentType is the protocol's content type.
	ContentType = "application/cbor"
	// ProtocolHeader is the header every request and response carries.
	ProtocolHeader = "Smithy-Protocol"
	// Protocol is ProtocolHeader's value.
	Protocol = "rpc-v2-cbor"
)

var (
	dec cbor.DecMode
	enc cbor.EncMode
)

func init() {
	var err error
	// Defaults, but that a duplicated key is an error (as it is not in
	// JSON, but a CBOR map with one is not well-formed for Smithy).
	if dec, err = (cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF}).DecMode(); err != nil {
		panic(err)
	}
	if enc, err = (cbor.EncOptions{}).EncMode(); err != nil {
		panic(err)
	}
}

// Path splits a request path of the protocol,
// {prefix}/service/{serviceName}/operation/{operationName}, into its service
// and operation; ok is false for any other path. An absolute service shape
// ID (com.amazonaws.cloudwatch.GraniteServiceVersion20100801, '#' as '.')
// is returned as it is: see ServiceIs.
func Path(p string) (service, op string, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) < 5 {
		return "", "", false
	}
	parts = parts[len(parts)-4:]
	if parts[0] != "service" || parts[2] != "operation" || parts[1] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[1], parts[3], true
}

// ServiceIs reports whether a path's service segment names the service
// whose shape name is name: the name itself, or an absolute shape ID with
// '#' replaced by '.'.
func ServiceIs(segment, name string) bool {
	return segment == name || strings.HasSuffix(segment, "."+name)
}

// Unmarshal decodes a request body into v; its errors are
// SerializationExceptions.
func Unmarshal(body []byte, v any) error {
	if len(body) == 0 {
		return nil // an input without members may come without a body
	}
	if err := dec.Unmarshal(body, v); err != nil {
		var te *cbor.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.StructFieldName
			if field == "" {
				field = "the input"
			}
			return awsjson.Errorf(awsjson.Serialization, "Unexpected value for %s: expected %s, got CBOR %s", field, te.GoType, te.CBORType)
		}
		return awsjson.Errorf(awsjson.Serialization, "The request body is not valid CBOR: %v", err)
	}
	return nil
}

// Marshal encodes a response.
func Marshal(v any) ([]byte, error) {
	return enc.Marshal(v)
}

// ErrorBody is e's body: a map with __type, message and the exception's
// other members.
func ErrorBody(e *awsjson.Error) []byte {
	m := map[string]any{"__type": e.Type, "message": e.Message}
	for k, v := range e.Fields {
		m[k] = v
	}
	b, err := enc.Marshal(m)
	if err != nil {
		b, _ = enc.Marshal(map[string]any{"__type": e.Type, "message": fmt.Sprintf("%s (and members that could not be encoded: %v)", e.Message, err)})
	}
	return b
}
