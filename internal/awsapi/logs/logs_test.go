package logs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/logswire"
	"github.com/berth-dev/berth/internal/names"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// fakeSource holds streams of events in memory, and counts what is read.
type fakeSource struct {
	groups  []Group
	streams []Stream
	events  map[string][]Event
	lists   int
	reads   int
	spans   int
}

func (f *fakeSource) List(context.Context, *awsapi.Caller) (Listing, error) {
	f.lists++
	return Listing{Groups: f.groups, Streams: f.streams}, nil
}

func (f *fakeSource) Read(_ context.Context, _ *awsapi.Caller, s Stream) ([]Event, error) {
	f.reads++
	return f.events[s.Name], nil
}

func (f *fakeSource) Span(_ context.Context, _ *awsapi.Caller, s Stream) (first, last time.Time, err error) {
	f.spans++
	if events := f.events[s.Name]; len(events) > 0 {
		return events[0].Time, events[len(events)-1].Time, nil
	}
	return first, last, nil
}

// lines are n events a millisecond apart, with two per millisecond from
// the middle on (ranks matter).
func lines(n int, label string) []Event {
	out := make([]Event, n)
	for i := range out {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		if i >= n/2 {
			at = t0.Add(time.Duration(n/2+(i-n/2)/2) * time.Millisecond)
		}
		out[i] = Event{Time: at, Message: fmt.Sprintf("%s line %d", label, i)}
	}
	return out
}

func messages(events []Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Message
	}
	return out
}

func TestGetPageForwardAndBackwardLoseNothing(t *testing.T) {
	events := lines(5000, "a")
	// Forward from the head in pages of 700.
	var got []string
	tok := ""
	for range 20 {
		p, ok := getPage(events, window{}, 700, tok, true)
		if !ok {
			t.Fatal("token refused")
		}
		got = append(got, messages(p.events)...)
		if p.forward == tok {
			break
		}
		tok = p.forward
	}
	if len(got) != 5000 || got[0] != "a line 0" || got[4999] != "a line 4999" {
		t.Fatalf("forward: %d events, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	for i, m := range got {
		if m != fmt.Sprintf("a line %d", i) {
			t.Fatalf("forward: event %d is %q", i, m)
		}
	}
	// Backward from the end: the newest page first, each page in time order.
	var pages [][]string
	tok = ""
	for range 20 {
		p, _ := getPage(events, window{}, 700, tok, false)
		if len(p.events) > 0 {
			pages = append(pages, messages(p.events))
		}
		if p.back == tok {
			break
		}
		tok = p.back
	}
	var back []string
	for i := len(pages) - 1; i >= 0; i-- {
		back = append(back, pages[i]...)
	}
	if strings.Join(back, "\n") != strings.Join(got, "\n") {
		t.Fatalf("backward: %d events differ from forward's", len(back))
	}
	if len(pages[0]) != 700 || pages[0][699] != "a line 4999" {
		t.Fatalf("the first page without a token is the newest: %v", pages[0][len(pages[0])-1])
	}
}

func TestGetPageTokensAtTheEndRepeat(t *testing.T) {
	events := lines(10, "a")
	p, _ := getPage(events, window{}, 100, "", true)
	next, _ := getPage(events, window{}, 100, p.forward, true)
	if len(next.events) != 0 || next.forward != p.forward {
		t.Fatalf("at the end: %d events, token %q (was %q)", len(next.events), next.forward, p.forward)
	}
	// A new event after the end comes with the same token.
	more := append(events, Event{Time: t0.Add(time.Hour), Message: "late"})
	p2, _ := getPage(more, window{}, 100, p.forward, true)
	if len(p2.events) != 1 || p2.events[0].Message != "late" {
		t.Fatalf("following: %v", messages(p2.events))
	}
	empty, _ := getPage(nil, window{}, 100, "", false)
	if len(empty.events) != 0 || empty.forward != token('f', start) {
		t.Fatalf("an empty stream: %+v", empty)
	}
	if _, ok := getPage(events, window{}, 10, "x/1/2", true); ok {
		t.Fatal("a malformed token is refused")
	}
}

func TestGetPageWindow(t *testing.T) {
	events := lines(100, "a") // 0..49 ms one each, then two per ms
	w := window{start: t0.Add(10 * time.Millisecond).UnixMilli(), end: t0.Add(20 * time.Millisecond).UnixMilli()}
	p, _ := getPage(events, w, 100, "", true)
	if len(p.events) != 10 || p.events[0].Message != "a line 10" || p.events[9].Message != "a line 19" {
		t.Fatalf("window [10, 20) ms: %v", messages(p.events))
	}
}

func TestInterleaveMergesInTimeOrderAndPages(t *testing.T) {
	streams := map[string][]Event{"b": lines(300, "b"), "a": lines(300, "a")}
	match := func(m string) bool { return !strings.HasSuffix(m, "7") }
	var all []found
	var after *found
	for range 10 {
		page, more := interleave(streams, window{}, match, 100, after)
		all = append(all, page...)
		if !more {
			break
		}
		tok, ok := parseFoundToken(page[len(page)-1].token())
		if !ok {
			t.Fatal("token")
		}
		after = &tok
	}
	if len(all) != 540 {
		t.Fatalf("%d events, want 600 - 60 ending in 7", len(all))
	}
	ids := map[string]bool{}
	for i, f := range all {
		if ids[f.eventID()] {
			t.Fatalf("event ID %s twice", f.eventID())
		}
		ids[f.eventID()] = true
		if i > 0 && all[i-1].compare(f) >= 0 {
			t.Fatalf("out of order at %d: %+v then %+v", i, all[i-1], f)
		}
	}
	if all[0].stream != "a" || all[1].stream != "b" {
		t.Fatalf("same time: stream order, got %s %s", all[0].stream, all[1].stream)
	}
}

func TestParseTimestamped(t *testing.T) {
	in := "2026-12-04T10:00:00.000000001Z hello world\n2026-12-04T10:00:01Z {\"level\":\"error\"}\n  continued\n2026-12-04T10:00:02Z\n"
	events, err := ParseTimestamped(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[0].Message != "hello world" || events[1].Message != "{\"level\":\"error\"}\n  continued" || events[2].Message != "" {
		t.Fatalf("%q", messages(events))
	}
	if events[0].Time.Nanosecond() != 1 {
		t.Fatalf("time %v", events[0].Time)
	}
}

func newHandlers(t *testing.T) (*logswire.Handlers, *fakeSource, context.Context) {
	t.Helper()
	src := &fakeSource{
		groups: []Group{{Name: "/ecs/web", Created: t0}, {Name: "/ecs/worker", Created: t0}},
		streams: []Stream{
			{Group: "/ecs/web", Name: "web/app/aaa", Created: t0},
			{Group: "/ecs/web", Name: "web/app/bbb", Created: t0.Add(time.Minute)},
			{Group: "/ecs/web", Name: "web/proxy/aaa", Created: t0},
		},
		events: map[string][]Event{
			"web/app/aaa":   {{t0.Add(1 * time.Second), `{"level":"info","latency":20}`}, {t0.Add(5 * time.Second), `{"level":"error","latency":900}`}},
			"web/app/bbb":   {{t0.Add(2 * time.Second), `{"level":"error","latency":30}`}, {t0.Add(3 * time.Second), `fatal: boom`}},
			"web/proxy/aaa": {{t0.Add(4 * time.Second), `GET / 200`}},
		},
	}
	ctx := awsapi.WithCaller(context.Background(), &awsapi.Caller{Account: names.DefaultAccount})
	return New(Options{Source: src}), src, ctx
}

func errCode(err error) string {
	var ae *awsjson.Error
	if errors.As(err, &ae) {
		return ae.Type + ": " + ae.Message
	}
	return fmt.Sprint(err)
}

func TestDescribeGroupsAndStreams(t *testing.T) {
	h, src, ctx := newHandlers(t)
	groups, err := h.DescribeLogGroups(ctx, &logswire.DescribeLogGroupsRequest{LogGroupNamePrefix: "/ecs/w", Limit: ptr.To(int32(1))})
	if err != nil || len(groups.LogGroups) != 1 || groups.LogGroups[0].LogGroupName != "/ecs/web" || groups.NextToken == "" {
		t.Fatalf("page 1: %+v %v", groups, err)
	}
	if groups.LogGroups[0].Arn != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*" {
		t.Errorf("arn %s", groups.LogGroups[0].Arn)
	}
	groups, err = h.DescribeLogGroups(ctx, &logswire.DescribeLogGroupsRequest{LogGroupNamePrefix: "/ecs/w", Limit: ptr.To(int32(1)), NextToken: groups.NextToken})
	if err != nil || len(groups.LogGroups) != 1 || groups.LogGroups[0].LogGroupName != "/ecs/worker" || groups.NextToken != "" {
		t.Fatalf("page 2: %+v %v", groups, err)
	}

	lists := src.lists
	streams, err := h.DescribeLogStreams(ctx, &logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/web", OrderBy: logswire.OrderByLasteventtime, Descending: ptr.To(true)})
	if err != nil {
		t.Fatal(err)
	}
	if src.reads != 0 || src.spans != 3 || src.lists != lists+1 {
		t.Errorf("DescribeLogStreams: %d whole reads, %d spans, %d listings; want 0, one a stream, 1", src.reads, src.spans, src.lists-lists)
	}
	var order []string
	for _, s := range streams.LogStreams {
		order = append(order, s.LogStreamName)
	}
	if strings.Join(order, " ") != "web/app/aaa web/proxy/aaa web/app/bbb" {
		t.Fatalf("by last event, newest first: %v", order)
	}
	if s := streams.LogStreams[0]; *s.LastEventTimestamp != t0.Add(5*time.Second).UnixMilli() || *s.FirstEventTimestamp != t0.Add(time.Second).UnixMilli() {
		t.Errorf("first/last of %s: %d %d", s.LogStreamName, *s.FirstEventTimestamp, *s.LastEventTimestamp)
	}
	streams, err = h.DescribeLogStreams(ctx, &logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/worker"})
	if err != nil || len(streams.LogStreams) != 0 {
		t.Fatalf("a group with no streams exists: %+v %v", streams, err)
	}
	streams, err = h.DescribeLogStreams(ctx, &logswire.DescribeLogStreamsRequest{LogGroupIdentifier: "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*", LogStreamNamePrefix: "web/app/"})
	if err != nil || len(streams.LogStreams) != 2 {
		t.Fatalf("prefix: %+v %v", streams, err)
	}

	for _, c := range []struct {
		in   *logswire.DescribeLogStreamsRequest
		want string
	}{
		{&logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/nope"}, "ResourceNotFoundException: The specified log group does not exist."},
		{&logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/web", OrderBy: logswire.OrderByLasteventtime, LogStreamNamePrefix: "x"}, "InvalidParameterException: Cannot order by LastEventTime with a logStreamNamePrefix."},
		{&logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/web", LogGroupIdentifier: "/ecs/web"}, "InvalidParameterException: LogGroup name and LogGroup ARN are mutually exclusive parameters."},
		{&logswire.DescribeLogStreamsRequest{LogGroupName: "/ecs/web", Limit: ptr.To(int32(51))}, "InvalidParameterException: 1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50"},
	} {
		if _, err := h.DescribeLogStreams(ctx, c.in); errCode(err) != c.want {
			t.Errorf("%+v: %s, want %s", c.in, errCode(err), c.want)
		}
	}
}

func TestGetAndFilterLogEvents(t *testing.T) {
	h, _, ctx := newHandlers(t)
	got, err := h.GetLogEvents(ctx, &logswire.GetLogEventsRequest{LogGroupName: "/ecs/web", LogStreamName: "web/app/bbb", StartFromHead: ptr.To(true)})
	if err != nil || len(got.Events) != 2 || got.Events[1].Message != "fatal: boom" || *got.Events[0].Timestamp != t0.Add(2*time.Second).UnixMilli() {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := h.GetLogEvents(ctx, &logswire.GetLogEventsRequest{LogGroupName: "/ecs/web", LogStreamName: "web/app/zzz"}); errCode(err) != "ResourceNotFoundException: The specified log stream does not exist." {
		t.Errorf("unknown stream: %s", errCode(err))
	}
	if _, err := h.GetLogEvents(ctx, &logswire.GetLogEventsRequest{LogGroupName: "/ecs/web", LogStreamName: "web/app/bbb", StartTime: ptr.To(int64(20)), EndTime: ptr.To(int64(10))}); !strings.HasPrefix(errCode(err), "InvalidParameterException: End time") {
		t.Errorf("end before start: %s", errCode(err))
	}

	filtered, err := h.FilterLogEvents(ctx, &logswire.FilterLogEventsRequest{LogGroupName: "/ecs/web", FilterPattern: `{ $.level = "error" }`})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range filtered.Events {
		msgs = append(msgs, e.LogStreamName+" "+e.Message)
	}
	want := []string{`web/app/bbb {"level":"error","latency":30}`, `web/app/aaa {"level":"error","latency":900}`}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("JSON pattern over the group, in time order:\n%s", strings.Join(msgs, "\n"))
	}
	filtered, err = h.FilterLogEvents(ctx, &logswire.FilterLogEventsRequest{LogGroupName: "/ecs/web", FilterPattern: `{ $.latency > 500 }`, LogStreamNamePrefix: "web/app/"})
	if err != nil || len(filtered.Events) != 1 || filtered.Events[0].LogStreamName != "web/app/aaa" {
		t.Fatalf("numeric pattern: %+v %v", filtered, err)
	}
	filtered, err = h.FilterLogEvents(ctx, &logswire.FilterLogEventsRequest{LogGroupName: "/ecs/web", FilterPattern: `fatal`, LogStreamNames: []string{"web/app/bbb"}, Limit: ptr.To(int32(1))})
	if err != nil || len(filtered.Events) != 1 || filtered.Events[0].Message != "fatal: boom" || filtered.NextToken != "" {
		t.Fatalf("term in named streams: %+v %v", filtered, err)
	}
	if _, err := h.FilterLogEvents(ctx, &logswire.FilterLogEventsRequest{LogGroupName: "/ecs/web", FilterPattern: `{ $.level = }`}); !strings.HasPrefix(errCode(err), "InvalidParameterException: Invalid filter pattern at position ") {
		t.Errorf("malformed pattern: %s", errCode(err))
	}
	if _, err := h.FilterLogEvents(ctx, &logswire.FilterLogEventsRequest{LogGroupName: "/ecs/web", LogStreamNames: []string{"a"}, LogStreamNamePrefix: "b"}); !strings.HasPrefix(errCode(err), "InvalidParameterException: ") {
		t.Errorf("names and prefix: %s", errCode(err))
	}
}

func TestListLogGroupsAndTestMetricFilter(t *testing.T) {
	h, _, ctx := newHandlers(t)
	list, err := h.ListLogGroups(ctx, &logswire.ListLogGroupsRequest{LogGroupNamePattern: "WORK"})
	if err != nil || len(list.LogGroups) != 1 || list.LogGroups[0].LogGroupName != "/ecs/worker" || list.LogGroups[0].LogGroupArn != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/worker" {
		t.Fatalf("%+v %v", list, err)
	}
	got, err := h.TestMetricFilter(ctx, &logswire.TestMetricFilterRequest{FilterPattern: `?ERROR ?fatal`, LogEventMessages: []string{"ok", "fatal: boom", "ERROR x"}})
	if err != nil || len(got.Matches) != 2 || *got.Matches[0].EventNumber != 2 || got.Matches[1].EventMessage != "ERROR x" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := h.TestMetricFilter(ctx, &logswire.TestMetricFilterRequest{FilterPattern: `"open`, LogEventMessages: []string{"x"}}); !strings.HasPrefix(errCode(err), "InvalidParameterException: Invalid filter pattern at position") {
		t.Errorf("malformed: %s", errCode(err))
	}
}
