// Package logs serves CloudWatch Logs (X-Amz-Target: Logs_20140328.*) over
// the awslogs names of Berth's tasks: a task definition's awslogs-group is a
// log group, each container of each task a stream prefix/container/task-id,
// and the events are the pods' logs (Source; PodLogs reads them through the
// Kubernetes API, as the caller).
package logs

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/awsapi/logswire"
	"github.com/berth-dev/berth/internal/logs/pattern"
)

// CloudWatch Logs' exceptions, as the model names them.
const (
	InvalidParameterException = "InvalidParameterException"
	ResourceNotFoundException = "ResourceNotFoundException"
	InvalidOperationException = "InvalidOperationException"
)

// API is the CloudWatch Logs API's description for the endpoint.
func API(h *logswire.Handlers) awsapi.API {
	return awsapi.API{
		TargetPrefix: logswire.TargetPrefix,
		SigningName:  logswire.SigningName,
		Handler:      h.Handler,
		Unsupported: func(op string) *awsjson.Error {
			return awsjson.Errorf(InvalidOperationException, "Berth does not serve %s: %s (docs/logs.md)", op, SupportOf(op).Note)
		},
	}
}

// Options configure the handlers.
type Options struct {
	// Source gives the groups, streams and events; default PodLogs.
	Source Source
}

type handlers struct{ src Source }

// New returns the CloudWatch Logs handlers.
func New(o Options) *logswire.Handlers {
	if o.Source == nil {
		o.Source = PodLogs{}
	}
	h := &handlers{src: o.Source}
	return &logswire.Handlers{
		DescribeLogGroups:  h.describeLogGroups,
		DescribeLogStreams: h.describeLogStreams,
		GetLogEvents:       h.getLogEvents,
		FilterLogEvents:    h.filterLogEvents,
		ListLogGroups:      h.listLogGroups,
		TestMetricFilter:   testMetricFilter,
	}
}

func fail(typ, format string, args ...any) error {
	return &awsjson.Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func caller(ctx context.Context) *awsapi.Caller {
	c := awsapi.CallerFrom(ctx)
	if c == nil {
		panic("logs: handler called without a caller")
	}
	return c
}

// limit checks a request's limit: def when unset, between 1 and most.
func limit(l *int32, def, most int) (int, error) {
	if l == nil {
		return def, nil
	}
	if *l < 1 || int(*l) > most {
		return 0, fail(InvalidParameterException, "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *l, most)
	}
	return int(*l), nil
}

func ms(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

// groupName resolves logGroupName or logGroupIdentifier (a name or an ARN).
func groupName(name, identifier string) (string, error) {
	switch {
	case name != "" && identifier != "":
		return "", fail(InvalidParameterException, "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != "":
		return name, nil
	case identifier == "":
		return "", fail(InvalidParameterException, "Either logGroupName or logGroupIdentifier is required.")
	}
	if strings.HasPrefix(identifier, "arn:") {
		_, after, ok := strings.Cut(identifier, ":log-group:")
		if !ok {
			return "", fail(InvalidParameterException, "Invalid logGroupIdentifier: %s", identifier)
		}
		return strings.TrimSuffix(after, ":*"), nil
	}
	return identifier, nil
}

// streamsOf are the streams of group, from one listing; a group that does
// not exist is ResourceNotFoundException.
func (h *handlers) streamsOf(ctx context.Context, c *awsapi.Caller, group string) ([]Stream, error) {
	l, err := h.src.List(ctx, c)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(l.Groups, func(g Group) bool { return g.Name == group }) {
		return nil, fail(ResourceNotFoundException, "The specified log group does not exist.")
	}
	var out []Stream
	for _, s := range l.Streams {
		if s.Group == group {
			out = append(out, s)
		}
	}
	return out, nil
}

func (h *handlers) describeLogGroups(ctx context.Context, in *logswire.DescribeLogGroupsRequest) (*logswire.DescribeLogGroupsResponse, error) {
	c := caller(ctx)
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, fail(InvalidParameterException, "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	n, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	l, err := h.src.List(ctx, c)
	if err != nil {
		return nil, err
	}
	byName := map[string]Group{}
	var keys []string
	for _, g := range l.Groups {
		switch {
		case !strings.HasPrefix(g.Name, in.LogGroupNamePrefix),
			in.LogGroupNamePattern != "" && !strings.Contains(strings.ToLower(g.Name), strings.ToLower(in.LogGroupNamePattern)),
			len(in.LogGroupIdentifiers) > 0 && !slices.ContainsFunc(in.LogGroupIdentifiers, func(id string) bool { name, _ := groupName("", id); return name == g.Name }):
			continue
		}
		byName[g.Name] = g
		keys = append(keys, g.Name)
	}
	from, to, next, ok := awsapi.Page(keys, n, in.NextToken, nil)
	if !ok {
		return nil, fail(InvalidParameterException, "The specified nextToken is invalid.")
	}
	out := &logswire.DescribeLogGroupsResponse{LogGroups: []logswire.LogGroup{}, NextToken: next}
	for _, name := range keys[from:to] {
		arn := c.Account.LogGroupArn(name)
		out.LogGroups = append(out.LogGroups, logswire.LogGroup{
			LogGroupName: name, CreationTime: ms(byName[name].Created), Arn: arn + ":*", LogGroupArn: arn,
			MetricFilterCount: new(int32), StoredBytes: new(int64), LogGroupClass: logswire.LogGroupClassStandard,
		})
	}
	return out, nil
}

func (h *handlers) describeLogStreams(ctx context.Context, in *logswire.DescribeLogStreamsRequest) (*logswire.DescribeLogStreamsResponse, error) {
	c := caller(ctx)
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	byTime := in.OrderBy == logswire.OrderByLasteventtime
	if byTime && in.LogStreamNamePrefix != "" {
		return nil, fail(InvalidParameterException, "Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	n, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	streams, err := h.streamsOf(ctx, c, group)
	if err != nil {
		return nil, err
	}
	byName := map[string]*described{}
	var keys []string
	for _, s := range streams {
		if strings.HasPrefix(s.Name, in.LogStreamNamePrefix) {
			byName[s.Name] = &described{s: s}
			keys = append(keys, s.Name)
		}
	}
	span := func(d *described) { d.span(ctx, h, c) }
	if byTime {
		for _, k := range keys {
			span(byName[k])
		}
	}
	order := streamOrder(byName, byTime, in.Descending != nil && *in.Descending)
	if order != nil {
		slices.SortFunc(keys, order)
	}
	from, to, next, ok := awsapi.Page(keys, n, in.NextToken, order)
	if !ok {
		return nil, fail(InvalidParameterException, "The specified nextToken is invalid.")
	}
	out := &logswire.DescribeLogStreamsResponse{LogStreams: []logswire.LogStream{}, NextToken: next}
	for _, k := range keys[from:to] {
		d := byName[k]
		span(d)
		out.LogStreams = append(out.LogStreams, logswire.LogStream{
			LogStreamName: k, CreationTime: ms(d.s.Created),
			FirstEventTimestamp: ms(d.first), LastEventTimestamp: ms(d.last), LastIngestionTime: ms(d.last),
			Arn: c.Account.LogGroupArn(group) + ":log-stream:" + k, StoredBytes: new(int64),
		})
	}
	return out, nil
}

// described is a stream of DescribeLogStreams with its first and last
// events' times, read when needed.
type described struct {
	s           Stream
	first, last time.Time
	read        bool
}

// span reads the stream's first and last events' times (Source.Span, not
// the whole stream); a stream whose times cannot be read has none.
func (d *described) span(ctx context.Context, h *handlers, c *awsapi.Caller) {
	if d.read {
		return
	}
	d.read = true
	if first, last, err := h.src.Span(ctx, c, d.s); err == nil {
		d.first, d.last = first, last
	}
}

// streamOrder is the order of DescribeLogStreams (nil: by name, as the
// keys come): by last event time, and reversed when descending.
func streamOrder(byName map[string]*described, byTime, descending bool) func(a, b string) int {
	var order func(a, b string) int
	if byTime {
		order = func(a, b string) int {
			if c := byName[a].last.Compare(byName[b].last); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		}
	}
	if descending {
		asc := order
		if asc == nil {
			asc = strings.Compare
		}
		order = func(a, b string) int { return asc(b, a) }
	}
	return order
}

// timeWindow checks startTime and endTime (milliseconds).
func timeWindow(startMs, endMs *int64) (window, error) {
	var w window
	if startMs != nil {
		w.start = *startMs
	}
	if endMs != nil {
		w.end = *endMs
	}
	if w.start < 0 || w.end < 0 {
		return w, fail(InvalidParameterException, "startTime and endTime must be positive.")
	}
	if w.end != 0 && w.end < w.start {
		return w, fail(InvalidParameterException, "End time (%d) is before start time (%d).", w.end, w.start)
	}
	return w, nil
}

func (h *handlers) getLogEvents(ctx context.Context, in *logswire.GetLogEventsRequest) (*logswire.GetLogEventsResponse, error) {
	c := caller(ctx)
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	w, err := timeWindow(in.StartTime, in.EndTime)
	if err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	streams, err := h.streamsOf(ctx, c, group)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(streams, func(s Stream) bool { return s.Name == in.LogStreamName })
	if i < 0 {
		return nil, fail(ResourceNotFoundException, "The specified log stream does not exist.")
	}
	events, err := h.read(ctx, c, streams[i])
	if err != nil {
		return nil, err
	}
	page, ok := getPage(events, w, n, in.NextToken, in.StartFromHead != nil && *in.StartFromHead)
	if !ok {
		return nil, fail(InvalidParameterException, "The specified nextToken is invalid.")
	}
	out := &logswire.GetLogEventsResponse{Events: []logswire.OutputLogEvent{}, NextForwardToken: page.forward, NextBackwardToken: page.back}
	for _, e := range page.events {
		t := e.Time.UnixMilli()
		out.Events = append(out.Events, logswire.OutputLogEvent{Timestamp: &t, Message: e.Message, IngestionTime: &t})
	}
	return out, nil
}

func (h *handlers) filterLogEvents(ctx context.Context, in *logswire.FilterLogEventsRequest) (*logswire.FilterLogEventsResponse, error) {
	c := caller(ctx)
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, fail(InvalidParameterException, "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	w, err := timeWindow(in.StartTime, in.EndTime)
	if err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	match, err := matcher(in.FilterPattern)
	if err != nil {
		return nil, err
	}
	var after *found
	if in.NextToken != "" {
		f, ok := parseFoundToken(in.NextToken)
		if !ok {
			return nil, fail(InvalidParameterException, "The specified nextToken is invalid.")
		}
		after = &f
	}
	streams, err := h.streamsOf(ctx, c, group)
	if err != nil {
		return nil, err
	}
	read, err := h.readStreams(ctx, c, streams, in.LogStreamNames, in.LogStreamNamePrefix)
	if err != nil {
		return nil, err
	}
	page, more := interleave(read, w, match, n, after)
	out := &logswire.FilterLogEventsResponse{Events: []logswire.FilteredLogEvent{}}
	for _, f := range page {
		t := f.event.Time.UnixMilli()
		out.Events = append(out.Events, logswire.FilteredLogEvent{LogStreamName: f.stream, Timestamp: &t, Message: f.event.Message, IngestionTime: &t, EventId: f.eventID()})
	}
	if more {
		out.NextToken = page[len(page)-1].token()
	}
	return out, nil
}

// matcher is a filter pattern's test; "" matches every event.
func matcher(p string) (func(string) bool, error) {
	if p == "" {
		return func(string) bool { return true }, nil
	}
	pat, err := pattern.Parse(p)
	if err != nil {
		return nil, fail(InvalidParameterException, "%v", err)
	}
	return pat.Match, nil
}

// readStreams reads the streams FilterLogEvents searches: those named, or
// those with the prefix.
func (h *handlers) readStreams(ctx context.Context, c *awsapi.Caller, streams []Stream, only []string, prefix string) (map[string][]Event, error) {
	read := map[string][]Event{}
	for _, s := range streams {
		if len(only) > 0 && !slices.Contains(only, s.Name) || !strings.HasPrefix(s.Name, prefix) {
			continue
		}
		events, err := h.read(ctx, c, s)
		if err != nil {
			return nil, err
		}
		read[s.Name] = events
	}
	return read, nil
}

// read reads a stream. A container that has no log yet (waiting to start)
// or no longer has one (its pod's node is gone) is an empty stream; only
// what the caller may not read is an error (AccessDeniedException).
func (h *handlers) read(ctx context.Context, c *awsapi.Caller, s Stream) ([]Event, error) {
	events, err := h.src.Read(ctx, c, s)
	if err != nil && (apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || ctx.Err() != nil) {
		return nil, err
	}
	return events, nil
}
