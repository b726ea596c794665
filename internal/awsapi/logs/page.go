package logs

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A place in a stream is an event's time in nanoseconds and its rank among
// the events of that time: stable while the log grows, and while the
// kubelet rotates the oldest lines away.
type place struct {
	t int64
	n int
}

func (p place) compare(q place) int {
	if c := cmp.Compare(p.t, q.t); c != 0 {
		return c
	}
	return cmp.Compare(p.n, q.n)
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// places are the places of events in time order.
func places(events []Event) []place {
	out := make([]place, len(events))
	for i, e := range events {
		out[i] = place{t: nanos(e.Time)}
		if i > 0 && out[i-1].t == out[i].t {
			out[i].n = out[i-1].n + 1
		}
	}
	return out
}

// window is a time range in milliseconds: start inclusive, end exclusive;
// 0 is unbounded.
type window struct{ start, end int64 }

func (w window) holds(t time.Time) bool {
	ms := t.UnixMilli()
	return (w.start == 0 || ms >= w.start) && (w.end == 0 || ms < w.end)
}

// maxPageBytes is the most a page of events carries, as CloudWatch's 1 MB;
// each event counts its message and 26 bytes.
const maxPageBytes = 1 << 20

// eventPage is a page of GetLogEvents.
type eventPage struct {
	events        []Event
	forward, back string
}

func token(dir byte, p place) string { return fmt.Sprintf("%c/%d/%d", dir, p.t, p.n) }

func parseToken(tok string) (dir byte, p place, ok bool) {
	parts := strings.Split(tok, "/")
	if len(parts) != 3 || (parts[0] != "f" && parts[0] != "b") {
		return 0, place{}, false
	}
	t, err1 := strconv.ParseInt(parts[1], 10, 64)
	n, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || n < 0 {
		return 0, place{}, false
	}
	return parts[0][0], place{t, n}, true
}

// start is the place before every event.
var start = place{t: -1 << 63}

// getPage pages a stream's events as GetLogEvents does: without a token the
// first (fromHead) or last limit events of the window; "f/..." the next
// ones after a place, "b/..." the ones before it. Events come in time order.
// The tokens of an empty page are the token given (or the start), so a
// client that follows them until they repeat stops.
func getPage(events []Event, w window, limit int, tok string, fromHead bool) (eventPage, bool) {
	ps := places(events)
	var idx []int
	for i, e := range events {
		if w.holds(e.Time) {
			idx = append(idx, i)
		}
	}
	dir, at := byte('f'), start
	if tok != "" {
		var ok bool
		if dir, at, ok = parseToken(tok); !ok {
			return eventPage{}, false
		}
	} else if !fromHead {
		dir, at = 'b', place{t: 1<<63 - 1}
	}
	var sel []int
	if dir == 'f' {
		for _, i := range idx {
			if ps[i].compare(at) > 0 {
				sel = append(sel, i)
			}
		}
		sel = fit(sel, events, limit, false)
	} else {
		for _, i := range idx {
			if ps[i].compare(at) < 0 {
				sel = append(sel, i)
			}
		}
		sel = fit(sel, events, limit, true)
	}
	if len(sel) == 0 {
		if dir == 'b' && at.t == 1<<63-1 {
			at = start // no token, nothing yet: follow from the start
		}
		return eventPage{forward: token('f', at), back: token('b', at)}, true
	}
	page := eventPage{forward: token('f', ps[sel[len(sel)-1]]), back: token('b', ps[sel[0]])}
	for _, i := range sel {
		page.events = append(page.events, events[i])
	}
	return page, true
}

// fit keeps at most limit events and maxPageBytes of sel: the first ones,
// or the last ones when fromEnd.
func fit(sel []int, events []Event, limit int, fromEnd bool) []int {
	size, n := 0, 0
	for k := range sel {
		i := sel[k]
		if fromEnd {
			i = sel[len(sel)-1-k]
		}
		size += len(events[i].Message) + 26
		if n == limit || (n > 0 && size > maxPageBytes) {
			break
		}
		n++
	}
	if fromEnd {
		return sel[len(sel)-n:]
	}
	return sel[:n]
}

// found is an event of FilterLogEvents: its stream and place.
type found struct {
	stream string
	at     place
	event  Event
}

func (f found) compare(g found) int {
	if c := cmp.Compare(f.at.t, g.at.t); c != 0 {
		return c
	}
	if c := strings.Compare(f.stream, g.stream); c != 0 {
		return c
	}
	return cmp.Compare(f.at.n, g.at.n)
}

// eventID is a CloudWatch-like event ID: digits, unique per event.
func (f found) eventID() string {
	return fmt.Sprintf("%019d%05d%010d", max(f.at.t, 0), f.at.n, crc32.ChecksumIEEE([]byte(f.stream)))
}

func (f found) token() string {
	return fmt.Sprintf("%d/%d/%s", f.at.t, f.at.n, base64.RawURLEncoding.EncodeToString([]byte(f.stream)))
}

func parseFoundToken(tok string) (found, bool) {
	parts := strings.SplitN(tok, "/", 3)
	if len(parts) != 3 {
		return found{}, false
	}
	t, err1 := strconv.ParseInt(parts[0], 10, 64)
	n, err2 := strconv.Atoi(parts[1])
	s, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return found{}, false
	}
	return found{stream: string(s), at: place{t, n}}, true
}

// interleave merges the matching events of several streams in time order
// (then stream, then rank), after the token's event, at most limit of them;
// more says whether events are left.
func interleave(streams map[string][]Event, w window, match func(string) bool, limit int, after *found) (page []found, more bool) {
	var all []found
	for name, events := range streams {
		ps := places(events)
		for i, e := range events {
			if !w.holds(e.Time) || !match(e.Message) {
				continue
			}
			f := found{stream: name, at: ps[i], event: e}
			if after != nil && f.compare(*after) <= 0 {
				continue
			}
			all = append(all, f)
		}
	}
	slices.SortFunc(all, found.compare)
	size := 0
	for i, f := range all {
		size += len(f.event.Message) + 26
		if i == limit || (i > 0 && size > maxPageBytes) {
			return all[:i], true
		}
	}
	return all, false
}
