package awsjson

import (
	"fmt"
	"math"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// tagEpoch is CBOR's tag 1, epoch-based date/time (RFC 8949 3.4.2): the
// timestamps of Smithy RPC v2 CBOR.
const tagEpoch = 1

// MarshalCBOR writes tag 1 with epoch seconds: an integer for a whole
// second, else a float with the milliseconds as its fraction.
func (t Timestamp) MarshalCBOR() ([]byte, error) {
	ms := t.UnixMilli()
	var content any = float64(ms) / 1000
	if ms%1000 == 0 {
		content = ms / 1000
	}
	return cbor.Marshal(cbor.Tag{Number: tagEpoch, Content: content})
}

// UnmarshalCBOR reads tag 1 with an integer or a float of epoch seconds (an
// untagged number too).
func (t *Timestamp) UnmarshalCBOR(b []byte) error {
	content := cbor.RawMessage(b)
	if len(b) > 0 && b[0]>>5 == 6 { // major type 6: a tag
		var tag cbor.RawTag
		if err := cbor.Unmarshal(b, &tag); err != nil {
			return err
		}
		if tag.Number != tagEpoch {
			return fmt.Errorf("timestamp: CBOR tag %d, not 1 (epoch seconds)", tag.Number)
		}
		content = tag.Content
	}
	var v any
	if err := cbor.Unmarshal(content, &v); err != nil {
		return err
	}
	switch n := v.(type) {
	case uint64:
		if n > math.MaxInt64 {
			return fmt.Errorf("timestamp: %d seconds is out of range", n)
		}
		t.Time = time.Unix(int64(n), 0).UTC()
	case int64:
		t.Time = time.Unix(n, 0).UTC()
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > 1e15 {
			return fmt.Errorf("timestamp: %v is not epoch seconds", n)
		}
		sec, frac := math.Modf(n)
		t.Time = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	default:
		return fmt.Errorf("timestamp: CBOR %T, not epoch seconds", v)
	}
	return nil
}
