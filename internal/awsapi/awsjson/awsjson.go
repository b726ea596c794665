// Package awsjson holds what the AWS JSON 1.1 protocol needs on both sides of
// the wire: timestamps as epoch seconds, and the error shape with its HTTP
// status.
package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// ContentType is the protocol's content type.
const ContentType = "application/x-amz-json-1.1"

// Timestamp is a model timestamp: epoch seconds with milliseconds, as a JSON
// number.
type Timestamp struct{ time.Time }

// At returns t as a *Timestamp, nil for the zero time.
func At(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return &Timestamp{t}
}

// MarshalJSON writes epoch seconds (milliseconds as the fraction).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds, or an RFC 3339 string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(b, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		p, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %q: %w", s, err)
		}
		t.Time = p
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	return nil
}

// Error is an error the service answers with: the exception's name (the
// model's shape, e.g. ClusterNotFoundException), its message, and the HTTP
// status.
type Error struct {
	Type    string
	Message string
	Status  int
	// Fields are extra members of the exception shape (e.g. ClusterContainsTasksException has none, LimitExceededException none).
	Fields map[string]any
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Body is the error's JSON body.
func (e *Error) Body() []byte {
	m := map[string]any{"__type": e.Type, "message": e.Message}
	for k, v := range e.Fields {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// Errorf returns a 400 error of the given exception type.
func Errorf(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: 400}
}

// AsError returns err as an *Error; any other error is a 500 ServerException.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Type: "ServerException", Message: err.Error(), Status: 500}
}

// The exceptions every AWS JSON service shares (the "common errors" of the AWS
// API references).
const (
	AccessDenied          = "AccessDeniedException"
	IncompleteSignature   = "IncompleteSignature"
	InvalidSignature      = "InvalidSignatureException"
	UnrecognizedClient    = "UnrecognizedClientException"
	MissingAuthToken      = "MissingAuthenticationTokenException"
	UnknownOperation      = "UnknownOperationException"
	Serialization         = "SerializationException"
	RequestEntityTooLarge = "RequestEntityTooLargeException"
	Throttling            = "ThrottlingException"
)
