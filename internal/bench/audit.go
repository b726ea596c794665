package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// AuditPolicy records every mutating request at Metadata level and
// nothing else. Node leases (kwok's heartbeats) are left out: they are
// constant background noise, not work caused by the benchmark (B10).
var AuditPolicy = []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  resources:
  - group: coordination.k8s.io
    resources: ["leases"]
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`)

// Users of the benchmark.
const (
	operatorUser = "system:serviceaccount:berth-system:berth-manager"
	baselineUser = "system:serviceaccount:berth-system:bench-baseline"
	harnessAgent = "berth-bench"
)

// AuditEvent is the part of an audit.k8s.io/v1 Event the benchmark reads.
type AuditEvent struct {
	Stage string `json:"stage"`
	Verb  string `json:"verb"`
	User  struct {
		Username string `json:"username"`
	} `json:"user"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestReceived time.Time `json:"requestReceivedTimestamp"`
}

// Actor classifies who sent a request: berth, baseline, harness,
// kube-controller-manager, kube-scheduler, kwok or other.
func (e *AuditEvent) Actor() string {
	u := e.User.Username
	switch {
	case u == operatorUser:
		return "berth"
	case u == baselineUser:
		return "baseline"
	case strings.HasPrefix(e.UserAgent, "kwok"):
		return "kwok"
	case strings.HasPrefix(e.UserAgent, harnessAgent):
		return "harness"
	case strings.HasPrefix(u, "system:serviceaccount:kube-system:"), u == "system:kube-controller-manager",
		strings.HasPrefix(e.UserAgent, "kube-controller-manager/"):
		return "kube-controller-manager"
	case u == "system:kube-scheduler", strings.HasPrefix(e.UserAgent, "kube-scheduler/"):
		return "kube-scheduler"
	}
	return "other"
}

// VerbResource is "verb resource[/subresource]".
func (e *AuditEvent) VerbResource() string {
	if e.ObjectRef == nil {
		return e.Verb
	}
	r := e.ObjectRef.Resource
	if e.ObjectRef.Subresource != "" {
		r += "/" + e.ObjectRef.Subresource
	}
	return e.Verb + " " + r
}

// AuditLog reads an audit log from a remembered offset.
type AuditLog struct {
	path   string
	offset int64
}

// NewAuditLog follows the log at path from its current end.
func NewAuditLog(path string) (*AuditLog, error) {
	a := &AuditLog{path: path}
	if _, err := a.Read(); err != nil {
		return nil, err
	}
	return a, nil
}

// Read returns the completed requests logged since the last Read.
func (a *AuditLog) Read() ([]AuditEvent, error) {
	f, err := os.Open(a.path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(a.offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("seek audit log: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var events []AuditEvent
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			a.offset += int64(len(line))
			var e AuditEvent
			if jerr := json.Unmarshal(line, &e); jerr != nil {
				return nil, fmt.Errorf("parse audit event: %w", jerr)
			}
			if e.Stage == "ResponseComplete" {
				events = append(events, e)
			}
		}
		if err == io.EOF {
			return events, nil // a partial last line is read next time
		}
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
	}
}

// CountByVerbResource counts the events of actor by VerbResource.
func CountByVerbResource(events []AuditEvent, actor string) map[string]int {
	res := map[string]int{}
	for i := range events {
		if events[i].Actor() == actor {
			res[events[i].VerbResource()]++
		}
	}
	return res
}

// CountByActor counts events by Actor.
func CountByActor(events []AuditEvent) map[string]int {
	res := map[string]int{}
	for i := range events {
		res[events[i].Actor()]++
	}
	return res
}
