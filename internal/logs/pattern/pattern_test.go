package pattern

import (
	"errors"
	"strings"
	"testing"
)

// docCase is a documented pattern with log events it matches and does not
// match. Where the documentation gives the pattern but not the events,
// or only the events it matches, the other events are ours (marked).
type docCase struct {
	pattern string
	match   []string
	noMatch []string
}

// The current guide's four unstructured events, reused by its examples.
var (
	err400 = "[ERROR 400] BAD REQUEST"
	err401 = "[ERROR 401] UNAUTHORIZED REQUEST"
	err419 = "[ERROR 419] MISSING ARGUMENTS"
	err420 = "[ERROR 420] INVALID ARGUMENTS"
)

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
// "Using filter patterns to match terms in unstructured log events".
var docUnstructured = []docCase{
	{pattern: `ERROR`, match: []string{err400, err401, err419, err420}},
	{pattern: `ERROR ARGUMENTS`, match: []string{err419, err420}, noMatch: []string{err400, err401}},
	{pattern: `?ERROR ?ARGUMENTS`, match: []string{err400, err401, err419, err420},
		noMatch: []string{"[INFO 200] OK"}}, // ours
	// "If you combine "?" with other filter patterns, all question mark
	// terms will be ignored."
	{pattern: `?ERROR ?ARGUMENTS REQUEST`,
		match:   []string{"[INFO] REQUEST FAILED", "[WARN] UNAUTHORIZED REQUEST", "[ERROR] 400 BAD REQUEST"},
		noMatch: []string{err419}}, // ours: ERROR, but no REQUEST
	{pattern: `"INTERNAL SERVER ERROR"`, match: []string{"[ERROR 500] INTERNAL SERVER ERROR"},
		noMatch: []string{"[ERROR 500] INTERNAL  SERVER ERROR", err400}}, // ours
	{pattern: `ERROR -ARGUMENTS`, match: []string{err400, err401}, noMatch: []string{err419, err420}},
	// "You can match everything in your log events with double quotation
	// marks."
	{pattern: `" "`, match: []string{err400, "x", ""}},
}

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
// "Supported regular expressions (regex) syntax" and "Using filter patterns
// to match terms with a regular expression (regex)"; the same examples are
// on https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html.
var docRegex = []docCase{
	{pattern: `%AUTHORIZED%`, match: []string{"[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST"},
		noMatch: []string{"authorized"}}, // ours
	{pattern: `%^[hc]at%`, match: []string{"hat", "cat", "cat nap"}, noMatch: []string{"that", "a cat"}},
	{pattern: `%[hc]at$%`, match: []string{"hat", "cat", "that"}, noMatch: []string{"cats"}},
	{pattern: `%colou?r%`, match: []string{"color", "colour"}, noMatch: []string{"colouur"}},
	{pattern: `%[abc]%`, match: []string{"a", "b", "c"}, noMatch: []string{"d"}},
	{pattern: `%[a-z]%`, match: []string{"a", "q", "z"}, noMatch: []string{"A1"}},
	{pattern: `%[abcx-z]%`, match: []string{"a", "b", "c", "x", "y", "z"}, noMatch: []string{"d", "w"}},
	{pattern: `%a{3,5}%`, match: []string{"aaa", "aaaa", "aaaaa"}, noMatch: []string{"aa", "a"}},
	// "%gra|ey% can match "gray" or "grey"": gra or ey.
	{pattern: `%gra|ey%`, match: []string{"gray", "grey"}, noMatch: []string{"gruy"}},
	{pattern: `%^starting|^initializing|^shutting down%`,
		match:   []string{"starting ...", "initializing ...", "shutting down"},
		noMatch: []string{"skipping initializing ..."}},
	// Documented as %abcc|ab[^c]$ (no closing %), matching "abcc ..." and
	// "aba ..." but not "aac ...". With the $, "aba" matches at the end of
	// the event only.
	{pattern: `%abcc|ab[^c]$%`, match: []string{"abcc ...", "aba"}, noMatch: []string{"aac ...", "abc"}},
	{pattern: `%\[.\]%`, match: []string{"[a]", "[b]", "[7]", "[@]", "[]]", "[ ]"}, noMatch: []string{"[ab]"}},
	{pattern: `%10\.10\.0\.1%`, match: []string{"10.10.0.1"}, noMatch: []string{"10010,051"}},
	// "%10.10.0.1% can match "10010,051"".
	{pattern: `%10.10.0.1%`, match: []string{"10.10.0.1", "10010,051"}},
	{pattern: `%ab*c%`, match: []string{"ac", "abc", "abbbc"}, noMatch: []string{"ab"}},
	{pattern: `%ab[0-9]*%`, match: []string{"ab", "ab0", "ab129"}, noMatch: []string{"a0"}},
	{pattern: `%ab+c%`, match: []string{"abc", "abbc", "abbbc"}, noMatch: []string{"ac"}},
	{pattern: `%.at%`, match: []string{"hat", "cat", "bat", "4at", "#at", " at"}, noMatch: []string{"at"}},
	{pattern: `%\d%`, match: []string{"a1"}, noMatch: []string{"abc"}},
	{pattern: `%[0-9]%`, match: []string{"a1"}, noMatch: []string{"abc"}},
	{pattern: `%\D%`, match: []string{"1a"}, noMatch: []string{"123"}},
	{pattern: `%[^0-9]%`, match: []string{"1a"}, noMatch: []string{"123"}},
	{pattern: `%\s%`, match: []string{"a b", "a\tb", "a\nb"}, noMatch: []string{"ab"}},
	{pattern: `%\S%`, match: []string{" a "}, noMatch: []string{" \t "}},
	{pattern: `%\w%`, match: []string{"_", "a", "7"}, noMatch: []string{"!?"}},
	{pattern: `%[a-zA-Z_0-9]%`, match: []string{"_", "a", "7"}, noMatch: []string{"!?"}},
	{pattern: `%\W%`, match: []string{"a!"}, noMatch: []string{"a_7"}},
	{pattern: `%\x3A%`, match: []string{"key:value"}, noMatch: []string{"key=value"}},
	{pattern: `%\x28%`, match: []string{"f(x)"}, noMatch: []string{"fx"}},
	// regex-expressions.html only.
	{pattern: `%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%`, match: []string{"from 192.168.0.1"}, noMatch: []string{"from 192.168.0"}},
	{pattern: `%[Ee]rror|[Ff]ail%`, match: []string{"Error", "error", "Fail", "fail"}, noMatch: []string{"ERROR", "FAIL"}},
}

// The JSON event of the JSON examples, on one line as the guide says to
// enter it.
const jsonEvent = `{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", ` +
	`"arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], ` +
	`"SomeObject": null, "cluster.name": "c"}`

// The compound-expression examples' JSON object.
const compoundEvent = `{"user": {"id": 1, "email": "John.Stiles@example.com"}, ` +
	`"users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}], ` +
	`"actions": ["GET", "PUT", "DELETE"], "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}`

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
// "Using filter patterns to match terms in JSON log events", and the same
// examples on https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html.
var docJSON = []docCase{
	{pattern: `{ $.eventType = "UpdateTrail" }`, match: []string{jsonEvent}},
	{pattern: `{ $.sourceIPAddress != 123.123.* }`, match: []string{jsonEvent},
		noMatch: []string{`{"sourceIPAddress": "123.123.4.5"}`}}, // ours
	{pattern: `{ $.arrayKey[0] = "value" }`, match: []string{jsonEvent}},
	{pattern: `{ $.eventType = %Trail% }`, match: []string{jsonEvent}},
	{pattern: `{ $.arrayKey[*] = %val.{2}% }`, match: []string{jsonEvent}},
	{pattern: `{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, match: []string{jsonEvent}},
	{pattern: `{ $.['cluster.name'] = "c" }`, match: []string{jsonEvent}},
	{pattern: `{ $.SomeObject IS NULL }`, match: []string{jsonEvent}},
	{pattern: `{ $.SomeOtherObject NOT EXISTS }`, match: []string{jsonEvent}},
	// matching-terms-json-log-events.html: "This pattern works with any
	// JSON logs containing an eventType field, such as" these three; only
	// the last has the value UpdateTrail.
	{pattern: `{ $.eventType = "UpdateTrail" }`,
		match: []string{`{"eventType": "UpdateTrail", "source": "cloudtrail"}`},
		noMatch: []string{`{"eventType": "UserLogin", "userId": "123"}`,
			`{"eventType": "ConfigUpdate", "component": "database"}`}},
	{pattern: `{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, match: []string{compoundEvent}},
	{pattern: `{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }`,
		match: []string{compoundEvent}},
	{pattern: `{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }`,
		noMatch: []string{compoundEvent}},
	{pattern: `{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`,
		noMatch: []string{compoundEvent}},
}

// https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/master/doc_source/FilterAndPatternSyntax.md
// (the guide before 2023, archived), "Matching Terms in JSON Log Events",
// "JSON Compound Conditions", "OR Pattern Matching" and the metric value
// and dimension examples.
var docJSONArchived = []docCase{
	{pattern: `{ $.objectList[1].id = 2 }`, match: []string{jsonEvent}},
	{pattern: `{ $.ThisFlag IS TRUE }`, match: []string{`{"eventType": "UpdateTrail", "SomeObject": null, "ThisFlag": true}`},
		noMatch: []string{`{"ThisFlag": false}`, `{"ThisFlag": "true"}`}}, // ours
	{pattern: `{ $.ThisFlag IS FALSE }`, match: []string{`{"ThisFlag": false}`}, // ours
		noMatch: []string{`{"ThisFlag": true}`}},
	{pattern: `{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`,
		match: []string{compoundEvent}},
	{pattern: `{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`,
		noMatch: []string{compoundEvent}},
	{pattern: `{$.foo = bar}`, match: []string{`{"foo": "bar"}`}, noMatch: []string{`{"foo": "baz"}`}},
	{pattern: `{$.foo = baz }`, match: []string{`{"foo": "baz"}`}, noMatch: []string{`{"foo": "bar"}`}},
	{pattern: `{$.foo = bar || $.foo = baz }`, match: []string{`{"foo": "bar"}`, `{"foo": "baz"}`}},
	// "both {$.users = 1} and {$.users != 1} will fail to match a log event
	// where users is an array".
	{pattern: `{$.users = 1}`, noMatch: []string{`{"users": [1, 2, 3]}`}},
	{pattern: `{$.users != 1}`, noMatch: []string{`{"users": [1, 2, 3]}`}},
	// "Ev*ent will only match the actual string Ev*ent".
	{pattern: `{ $.name = *Event }`, match: []string{`{"name": "PutEvent"}`, `{"name": "GetEvent"}`},
		noMatch: []string{`{"name": "EventId"}`}},
	{pattern: `{ $.name = Event* }`, match: []string{`{"name": "EventId"}`, `{"name": "EventName"}`},
		noMatch: []string{`{"name": "PutEvent"}`}},
	{pattern: `{ $.name = "Ev*ent" }`, match: []string{`{"name": "Ev*ent"}`}, noMatch: []string{`{"name": "Event"}`}},
	// "The example metric filter matches the term "latency" in the example
	// JSON log event and publishes a numeric value of 50".
	{pattern: `{ $.latency = * }`, match: []string{`{"latency": 50, "requestType": "GET"}`},
		noMatch: []string{`{"requestType": "GET"}`}}, // ours
	// "The metric filter increments the metric whenever a JSON log event
	// contain the properties eventType and "sourceIPAddress"."
	{pattern: `{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }`, match: []string{jsonEvent}},
}

// Documented numeric patterns, with events of ours on either side.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
// ("Writing filter patterns that match numeric values") and the archived
// guide above ("Numeric Comparisons").
var docNumeric = []docCase{
	{pattern: `{ $.bandwidth > 75 }`, match: []string{`{"bandwidth": 76}`, `{"bandwidth": 75.5}`}, noMatch: []string{`{"bandwidth": 75}`}},
	{pattern: `{ $.latency < 50 }`, match: []string{`{"latency": 49}`, `{"latency": -50}`}, noMatch: []string{`{"latency": 50}`}},
	{pattern: `{ $.refreshRate >= 60 }`, match: []string{`{"refreshRate": 60}`}, noMatch: []string{`{"refreshRate": 59.9}`}},
	{pattern: `{ $.responseTime <= 5 }`, match: []string{`{"responseTime": 5}`, `{"responseTime": 5e0}`}, noMatch: []string{`{"responseTime": 5.01}`}},
	{pattern: `{ $.errorCode = 400}`, match: []string{`{"errorCode": 400}`, `{"errorCode": 4e2}`}, noMatch: []string{`{"errorCode": 401}`}},
	{pattern: `{ $.errorCode != 500 }`, match: []string{`{"errorCode": 400}`}, noMatch: []string{`{"errorCode": 500}`, `{"other": 1}`}},
	{pattern: `{ $.number[0] = 1e+3 }`, match: []string{`{"number": [1000]}`}, noMatch: []string{`{"number": [100]}`}},
	{pattern: `{ $.number[0] != 1e-3 }`, match: []string{`{"number": [1]}`}, noMatch: []string{`{"number": [0.001]}`}},
	{pattern: `{ $.latency >= 500 }`, match: []string{`{"latency": 500}`}, noMatch: []string{`{"latency": 499}`}},
	{pattern: `{ $.numbers[0] < 10e3 }`, match: []string{`{"numbers": [9999]}`}, noMatch: []string{`{"numbers": [10000]}`}},
	{pattern: `{ $.numbers[0] < 10e-3 }`, match: []string{`{"numbers": [0.0099]}`}, noMatch: []string{`{"numbers": [0.01]}`}},
	{pattern: `{ $.processes[4].averageRuntime <= 55.5 }`,
		match:   []string{`{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}`},
		noMatch: []string{`{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.6}]}`, `{"processes": [{"averageRuntime": 1}]}`}},
	{pattern: `{ $.latency > +1000 }`, match: []string{`{"latency": 1001}`}, noMatch: []string{`{"latency": 1000}`}},
}

// The space-delimited examples' event.
const apacheEvent = `127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`

// The ordered-terms examples' events.
var (
	info1  = "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200"
	info2  = "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310"
	warn1  = "WARNING 09/25/2014 12:00:02 Invalid user request"
	error1 = "ERROR 09/25/2014 12:00:02 Failed to process request"
)

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
// "Using filter patterns to match terms in space-delimited log events".
var docDelimited = []docCase{
	{pattern: `[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`,
		match:   []string{apacheEvent},
		noMatch: []string{strings.Replace(apacheEvent, "127.0.0.1", "127.0.0.0", 1)}}, // ours
	{pattern: `[..., request =*.html*, status_code = 4*, bytes]`, match: []string{apacheEvent},
		noMatch: []string{strings.Replace(apacheEvent, "404", "200", 1)}}, // ours
	{pattern: `[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`,
		match:   []string{apacheEvent, strings.Replace(apacheEvent, "404", "410", 1)},
		noMatch: []string{strings.Replace(apacheEvent, "404", "403", 1)}}, // ours
	// "Publishing dimensions with metrics from space-delimited log events".
	{pattern: `[ip, server, username, timestamp, request, status_code, bytes > 1000]`, match: []string{apacheEvent}},
	{pattern: `[w1=ERROR, w2]`, match: []string{error1}, noMatch: []string{info1, info2, warn1}},
	{pattern: `[w1=ERROR || w1=WARNING, w2]`, match: []string{warn1, error1}, noMatch: []string{info1, info2}},
	{pattern: `[w1!=ERROR && w1!=WARNING, w2]`, match: []string{info1, info2}, noMatch: []string{warn1, error1}},
	{pattern: `[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]`,
		match: []string{info1}, noMatch: []string{info2, warn1, error1}},
	{pattern: `[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]`,
		match: []string{info2}, noMatch: []string{info1, warn1, error1}},
}

// The archived guide's Apache events.
var (
	apache1 = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`
	apache2 = `127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324`
	apache3 = `127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355`
)

// https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/master/doc_source/FilterAndPatternSyntax.md
// "Using Metric Filters to Extract Values from Space-Delimited Log Events"
// (which events match each condition is ours to work out).
var docDelimitedArchived = []docCase{
	{pattern: `[ip, user, username, timestamp, request, status_code, bytes]`, match: []string{apache1, apache2, apache3}},
	{pattern: `[..., status_code, bytes]`, match: []string{apache1, apache2, apache3}},
	{pattern: `[ip, user, ..., status_code, bytes]`, match: []string{apache1, apache2, apache3}},
	{pattern: `[ip, user, ...]`, match: []string{apache1, apache2, apache3}},
	{pattern: `[ip, user, username, timestamp, request, status_code, bytes > 1000]`, match: []string{apache1, apache2, apache3}},
	{pattern: `[ip, user, username, timestamp, request, status_code = 200, bytes]`, match: []string{apache1, apache3}, noMatch: []string{apache2}},
	{pattern: `[ip, user, username, timestamp, request, status_code = 4*, bytes]`, noMatch: []string{apache1, apache2, apache3}},
	{pattern: `[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]`, noMatch: []string{apache1, apache2, apache3}},
	{pattern: `[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]`,
		match: []string{strings.Replace(apache1, " 200 ", " 404 ", 1)}, noMatch: []string{apache1, strings.Replace(apache1, " 200 ", " 403 ", 1)}},
	{pattern: `[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]`,
		match: []string{strings.Replace(apache1, " 200 ", " 403 ", 1)}, noMatch: []string{apache1, apache2, apache3}},
	// The guide shows this event with its quotes escaped (\"), as in JSON.
	{pattern: `[..., request=*.html*, status_code=4*,]`,
		match: []string{`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`}},
}

// https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/master/doc_source/FilterAndPatternSyntax.md
// "Matching Terms in Log Events" and "OR Pattern Matching".
var docUnstructuredArchived = []docCase{
	{pattern: `""`, match: []string{"[ERROR] A fatal exception has occurred", ""}},
	{pattern: `ERROR`, match: []string{"[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1"}},
	// Written "ERROR" - "Exiting" in the guide.
	{pattern: `ERROR -Exiting`, match: []string{"[ERROR] A fatal exception has occurred"},
		noMatch: []string{"Exiting with ERRORCODE: -1"}},
	{pattern: `ERROR Exception`, match: []string{"[ERROR] Caught IllegalArgumentException", "[ERROR] Unhandled Exception"}},
	{pattern: `Failed to process the request`,
		match: []string{"[WARN] Failed to process the request", "[ERROR] Unable to continue: Failed to process the request"}},
	{pattern: `ERROR`, match: []string{"ERROR WARN message", "ERROR message"}, noMatch: []string{"WARN message"}},
	{pattern: `?ERROR ?WARN`, match: []string{"ERROR WARN message", "ERROR message", "WARN message"}},
	{pattern: `ERROR WARN`, match: []string{"ERROR WARN message"}, noMatch: []string{"ERROR message", "WARN message"}},
	{pattern: `ERROR -WARN`, match: []string{"ERROR message"}, noMatch: []string{"ERROR WARN message", "WARN message"}},
}

// Documented patterns with events of ours: the Lightsail GetContainerLog
// filterPattern reference
// (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/lightsail/aws.sdk.kotlin.services.lightsail.model/-get-container-log-request/filter-pattern.html).
var docLightsail = []docCase{
	{pattern: ``, match: []string{"anything", ""}},
	{pattern: `-ERROR`, match: []string{"INFO ok", ""}, noMatch: []string{"an ERROR"}},
	{pattern: `ERROR`, match: []string{"an ERROR"}, noMatch: []string{"an error"}},
	{pattern: `ERROR Exception`, match: []string{"ERROR: Exception"}, noMatch: []string{"ERROR", "Exception"}},
	{pattern: `?ERROR ?Exception`, match: []string{"ERROR", "Exception"}, noMatch: []string{"error exception"}},
}

func TestDocumentedExamples(t *testing.T) {
	groups := map[string][]docCase{
		"unstructured": docUnstructured, "regex": docRegex, "json": docJSON, "json-archived": docJSONArchived,
		"numeric": docNumeric, "delimited": docDelimited, "delimited-archived": docDelimitedArchived,
		"unstructured-archived": docUnstructuredArchived, "lightsail": docLightsail,
	}
	for name, cases := range groups {
		for _, c := range cases {
			p, err := Parse(c.pattern)
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", name, c.pattern, err)
				continue
			}
			for _, m := range c.match {
				if !p.Match(m) {
					t.Errorf("%s: %q does not match %q", name, c.pattern, m)
				}
			}
			for _, m := range c.noMatch {
				if p.Match(m) {
					t.Errorf("%s: %q matches %q", name, c.pattern, m)
				}
			}
		}
	}
}

// Examples the documentation states but that contradict it elsewhere, or
// that this package rejects on purpose.
func TestDocumentedInconsistencies(t *testing.T) {
	// The archived guide says [w1=ERROR, w2] matches only "ERROR message"
	// of these three, and [w1=ERROR || w1=WARN, w2] the last two, which
	// holds only if the field count must be exact; the current guide's
	// [w1=ERROR, w2] matches events of six words and asks for the "blank
	// indicator" w2, which holds only if the last field takes the rest of
	// the event. We follow the current guide.
	lines := []string{"ERROR WARN message", "ERROR message", "WARN message"}
	for pattern, want := range map[string][]bool{
		`[w1=ERROR, w2]`:             {true, true, false},
		`[w1=ERROR || w1=WARN, w2]`:  {true, true, true},
		`[w1!=ERROR&&w1!=WARN, w2]`:  {false, false, false}, // "matches ... pattern 1", said the guide
		`[w1=ERROR]`:                 {false, false, false}, // without w2, w1 is the whole event
		`[w1=ERROR, w2, w3]`:         {true, false, false},
		`[w1=ERROR, w2, w3, w4]`:     {false, false, false}, // too few fields
		`[w1, w2 = WARN*]`:           {true, false, false},  // w2 is "WARN message"
		`[w1, w2 = "WARN message"]`:  {true, false, false},
		`[w1 = ERROR, w2 = message]`: {false, true, false},
	} {
		p := mustParse(t, pattern)
		for k, line := range lines {
			if got := p.Match(line); got != want[k] {
				t.Errorf("%q on %q = %v, want %v", pattern, line, got, want[k])
			}
		}
	}
	// The archived guide's [..., status_code = 4* && bytes > 1000] puts a
	// condition on bytes in status_code's field.
	for _, pattern := range []string{
		`[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]`,
		`[w1=ERROR || W1=WARNING, w2]`, // the archived guide's typo
	} {
		if _, err := Parse(pattern); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", pattern)
		}
	}
}

func mustParse(t *testing.T, pattern string) *Pattern {
	t.Helper()
	p, err := Parse(pattern)
	if err != nil {
		t.Fatalf("Parse(%q): %v", pattern, err)
	}
	return p
}

// syntaxErrorCases are invalid patterns, the position and a part of the
// message of their error.
var syntaxErrorCases = []struct {
	pattern string
	pos     int
	msg     string
}{
	{`"ERROR`, 0, `unmatched '"'`},
	{`ERROR "bad request`, 6, `unmatched '"'`},
	{`"ERROR"x`, 7, "expected a space"},
	{`hello-world`, 5, "enclose terms"},
	{`ERROR 404.5`, 9, "enclose terms"},
	{`?`, 0, "expected a term"},
	{`ERROR - Exiting`, 6, "expected a term"},
	{`ERROR %ERR%`, 6, "whole filter pattern"},
	{`%ERR% ERROR`, 6, "whole filter pattern"},
	{`%ERR`, 0, "unmatched '%'"},
	{`%%`, 0, "empty regular expression"},
	{`%something!%`, 10, "'!' is not supported"},
	{`%(ab)+%`, 1, "'(' and ')' are not supported"},
	{`%\(ab\)+%`, 2, "'(' and ')' are not supported"},
	{`%café%`, 4, "multi-byte"},
	{`%a\p%`, 2, `unsupported escape \p`},
	{`%a\%`, 2, "trailing"},
	{`%\x3%`, 1, `\x needs two hexadecimal digits`},
	{`%a{x}%`, 2, "malformed repetition"},
	{`%a{3, 5}%`, 2, "malformed repetition"},
	{`%a{}%`, 2, "malformed repetition"},
	{`%[abc%`, 1, "unmatched '['"},
	{`%[a[b]]%`, 3, "nested character classes"},
	{`%a{2000}%`, 0, "invalid regular expression"},
	{`%*a%`, 0, "invalid regular expression"},
	{`{ $.a = 1`, 0, "unmatched '{'"},
	{`  { $.a = 1 && $.b = 2`, 2, "unmatched '{'"},
	{`{ $.x = }`, 8, `expected a value after "="`},
	{`{ $.x = `, 8, `expected a value after "="`},
	{`{ $.x == 1 }`, 6, `unknown operator "=="`},
	{`{ $.x =! 1 }`, 6, `unknown operator "=!"`},
	{`{ $.x ~ 1 }`, 6, "expected an operator"},
	{`{ $.x }`, 6, "expected an operator"},
	{`{ $.x contains 1 }`, 6, `unknown operator "contains"`},
	{`{ $.x EXISTS }`, 6, "EXISTS is not supported"},
	{`{ $.x IS NOT NULL }`, 6, "IS NOT is not supported"},
	{`{ $.x IS null }`, 9, "expected NULL, TRUE or FALSE"},
	{`{ $.x NOT THERE }`, 10, "expected EXISTS"},
	{`{ $.x[0]IS NULL }`, 8, "expected a space"},
	{`{ $.x > "1" }`, 8, "compares numbers"},
	{`{ $.x >= abc }`, 9, "compares numbers"},
	{`{ $.x < %1% }`, 8, "compares numbers"},
	{`{ ($.a = 1 }`, 2, "unmatched '('"},
	{`{ $.a = 1) }`, 9, "unmatched ')'"},
	{`{ $.a = 1 & $.b = 2 }`, 10, `unknown operator "&"`},
	{`{ $.a = 1 &&& $.b = 2 }`, 10, `unknown operator "&&&"`},
	{`{ $.a = 1 $.b = 2 }`, 10, "expected '&&', '||' or '}'"},
	{`{ $.a = 1 && }`, 13, "expected a condition"},
	{`{ }`, 2, "expected a condition"},
	{`{ a = 1 }`, 2, "expected a condition"},
	{`{ "v": [1] }`, 2, "expected a condition"},
	{`{ $a = 1 }`, 3, "expected '.'"},
	{`{ $. = 1 }`, 4, "expected a property name"},
	{`{ $.a.["b"] = 1 }`, 6, "expected ['name']"},
	{`{ $.['a.b = 1 }`, 5, `unmatched "'"`},
	{`{ $.a[x] = 1 }`, 6, "expected an array index"},
	{`{ $.a[-1] = 1 }`, 6, "expected an array index"},
	{`{ $.a[99999999999] = 1 }`, 6, "out of range"},
	{`{ $.a[*].* = 1 }`, 2, "at most one wildcard"},
	{`{ $.a = 1 } x`, 12, "unexpected text after '}'"},
	{`{ $.a = abc@example.com }`, 11, "expected '&&', '||' or '}'"},
	{`{ $.a[*] = 1 || $.b[*] = 1 || $.* = 1 || $.c[*] = 1 }`, 41, "at most 3 selectors with a wildcard"},
	{`{ $.a = %a% || $.b = %b% || $.c = %c% }`, 34, "at most 2 regular expressions"},
	{tooDeep, 2 + maxDepth, "nest deeper"},
	{`[a, b`, 0, "unmatched '['"},
	{`[a, b] x`, 7, "unexpected text after \"]\""},
	{`[a = ]`, 5, `expected a value after "="`},
	{`[a == 1]`, 3, `unknown operator "=="`},
	{`[a b]`, 3, "expected ',' or ']'"},
	{`[a = 1 & a = 2]`, 7, `unknown operator "&"`},
	{`[1a]`, 1, "expected a field name"},
	{`[a, a]`, 4, `field "a" is named twice`},
	{`[..., b, ...]`, 9, "at most one ellipsis"},
	{`[a = 1 || b = 2]`, 10, `names "b"`},
	{`[a = 1 ||]`, 9, "expected the field name"},
	{`[a = 1 || a]`, 11, "expected an operator"},
	{`[a > x]`, 5, "compares numbers"},
	{`[a = %1%, b = %2%, c = %3%]`, 23, "at most 2 regular expressions"},
	{tooLong, maxPatternLength, "at most 1024 characters"},
	{strings.Repeat("é", maxPatternLength+1), 2 * maxPatternLength, "at most 1024 characters"},
}

var (
	tooLong = strings.Repeat("a", maxPatternLength+1)
	tooDeep = "{ " + strings.Repeat("(", maxDepth+1) + "$.a = 1" + strings.Repeat(")", maxDepth+1) + " }"
)

func TestSyntaxErrors(t *testing.T) {
	for _, c := range syntaxErrorCases {
		_, err := Parse(c.pattern)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", c.pattern, err)
			continue
		}
		if se.Pos != c.pos || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Parse(%q) = %d %q, want %d and %q", c.pattern, se.Pos, se.Msg, c.pos, c.msg)
		}
		if want := "Invalid filter pattern at position "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q).Error() = %q, want it to start with %q", c.pattern, err, want)
		}
	}
}

// Patterns at the limits parse.
func TestLimits(t *testing.T) {
	for _, p := range []string{
		strings.Repeat("a", maxPatternLength),
		`"` + strings.Repeat("é", maxPatternLength-2) + `"`,
		"{ " + strings.Repeat("(", maxDepth) + "$.a = 1" + strings.Repeat(")", maxDepth) + " }",
		`{ $.a[*] = 1 || $.b[*] = 1 || $.* = 1 }`,
		`{ $.a = %a% || $.b = %b% }`,
		`[a = %1%, b = %2%]`,
		`{ $.a[2147483647] = 1 }`,
	} {
		if _, err := Parse(p); err != nil {
			t.Errorf("Parse(%.40q...): %v", p, err)
		}
	}
}

// matchCases are patterns of ours with events they match and do not match.
var matchCases = []docCase{
	// Empty and blank patterns match everything.
	{pattern: "", match: []string{"", "x"}},
	{pattern: " \t ", match: []string{"", "x"}},
	{pattern: `""`, match: []string{"", "x"}},
	{pattern: `ERROR " "`, match: []string{"ERROR"}, noMatch: []string{"error"}},
	{pattern: `-" "`, noMatch: []string{"", "x"}},
	// Terms are case-sensitive substrings; phrases are exact.
	{pattern: `ERROR`, match: []string{"xERRORx", "ERRORCODE"}, noMatch: []string{"Error", "ERRO R"}},
	{pattern: `"hello-world"`, match: []string{"say hello-world"}, noMatch: []string{"hello world"}},
	{pattern: `"say \"hi\""`, match: []string{`they say "hi" twice`}, noMatch: []string{"say hi"}},
	{pattern: `"C:\temp\\"`, match: []string{`in C:\temp\ now`}},
	{pattern: `"ünïcode"`, match: []string{"ünïcode"}},
	{pattern: `?ERROR ?WARN -DEBUG`, match: []string{"INFO"}, noMatch: []string{"DEBUG ERROR"}}, // ? ignored
	// A JSON pattern needs one JSON object.
	{pattern: `{ $.a NOT EXISTS }`, match: []string{`{}`, ` {"b": 1} `},
		noMatch: []string{"", "not json", `[{"b": 1}]`, `{"b": 1} x`, `{"b": 1}{}`, `{"a": 1}`, `{"a": null}`, `{"b": }`, `"a"`, `1`}},
	{pattern: `{ $.a = 1 }`, match: []string{`{"a": 1}`, `{"a": "1"}`, `{"a": 1.0}`, `{"a":1e0}`},
		noMatch: []string{`{"a": true}`, `{"a": [1]}`, `{"a": {"b": 1}}`, `{"a": "one"}`, `2024-01-01 {"a": 1}`}},
	{pattern: `{ $.a = "1" }`, match: []string{`{"a": 1}`, `{"a": "1"}`}, noMatch: []string{`{"a": 1.0}`}},
	{pattern: `{ $.a != 1 }`, match: []string{`{"a": 2}`}, noMatch: []string{`{"a": 1}`, `{"a": "x"}`, `{}`, `{"a": null}`}},
	{pattern: `{ $.a != x }`, match: []string{`{"a": "y"}`, `{"a": 1}`}, noMatch: []string{`{"a": "x"}`, `{}`, `{"a": false}`}},
	{pattern: `{ $.a = true }`, match: []string{`{"a": "true"}`}, noMatch: []string{`{"a": true}`}},
	{pattern: `{ $.a = * }`, match: []string{`{"a": ""}`, `{"a": 0}`}, noMatch: []string{`{"a": null}`, `{"a": {}}`, `{}`}},
	{pattern: `{ $.a = "" }`, match: []string{`{"a": ""}`}, noMatch: []string{`{"a": " "}`}},
	{pattern: `{ $.a > 1e400 }`, noMatch: []string{`{"a": 1e308}`}},
	{pattern: `{ $.a > 1 }`, match: []string{`{"a": 1e400}`, `{"a": "2"}`}, noMatch: []string{`{"a": "2x"}`, `{"a": " 2"}`}},
	{pattern: `{ $.a IS NULL }`, match: []string{`{"a": null}`}, noMatch: []string{`{}`, `{"a": "null"}`}},
	{pattern: `{ $.msg = "a\"b" }`, match: []string{`{"msg": "a\"b"}`, `{"msg": "a\u0022b"}`}},
	{pattern: `{ $.msg = "é😀" }`, match: []string{`{"msg": "\u00e9\ud83d\ude00"}`}},
	{pattern: `{ $.m = %^a.b$% }`, match: []string{`{"m": "axb"}`}, noMatch: []string{`{"m": "a\nb"}`}},
	{pattern: `{ $.m != %x% }`, match: []string{`{"m": "y"}`}, noMatch: []string{`{"m": "x"}`, `{"m": null}`}},
	{pattern: `{ $.['a b'] = 1 && $.c-d_e = 2 }`, match: []string{`{"a b": 1, "c-d_e": 2}`}, noMatch: []string{`{"a b": 1}`}},
	{pattern: `{ $.a.b = 1 }`, match: []string{`{"a": {"b": 1}}`}, noMatch: []string{`{"a.b": 1}`, `{"a": [{"b": 1}]}`}},
	{pattern: `{ $.k = "x" }`, match: []string{`{"\u006b": "x"}`}},
	{pattern: `{ $.* = 1 }`, match: []string{`{"x": 1}`, `{"x": 2, "y": 1}`}, noMatch: []string{`{"x": {"y": 1}}`, `{}`}},
	{pattern: `{ $.a[*].id = 2 }`, match: []string{`{"a": [{"id": 1}, {"id": 2}]}`}, noMatch: []string{`{"a": {"id": 2}}`, `{"a": []}`}},
	{pattern: `{ $.a[*] NOT EXISTS }`, match: []string{`{"a": []}`, `{}`, `{"a": {}}`}, noMatch: []string{`{"a": [null]}`}},
	{pattern: `{ $.a.* IS TRUE }`, match: []string{`{"a": {"x": false, "y": true}}`}, noMatch: []string{`{"a": [true]}`}},
	{pattern: `{ $.a[1][0] = 5 }`, match: []string{`{"a": [[1], [5]]}`}, noMatch: []string{`{"a": [[5], [1]]}`}},
	{pattern: `{ $.a = 1 && $.a.b NOT EXISTS }`, match: []string{`{"a": 1}`}},
	{pattern: `{ $.a = 1 || $.b = 2 && $.c = 3 }`, match: []string{`{"a": 1}`, `{"b": 2, "c": 3}`}, noMatch: []string{`{"b": 2}`}},
	{pattern: `{ ($.a = 1 || $.b = 2) && $.c = 3 }`, match: []string{`{"a": 1, "c": 3}`}, noMatch: []string{`{"a": 1}`}},
	{pattern: `{ $.v = 1 }`, match: []string{`{"v": 2, "v": 1}`}}, // every duplicate counts
	// Space-delimited fields.
	{pattern: `[a, b]`, match: []string{"x y", "  x   y  ", "x y z"}, noMatch: []string{"x", "", "   "}},
	{pattern: `[a, b = "y z"]`, match: []string{"x y z", `x "y z"`}, noMatch: []string{`x "y z" w`}},
	{pattern: `[a = "q r", b]`, match: []string{`"q r" s`}, noMatch: []string{"q r s"}},
	{pattern: `[a = "[x]", b]`, match: []string{`"[x]" y`}, noMatch: []string{"[x] y"}},
	{pattern: `[a = x, b]`, match: []string{"[x] y", `"x" y`, "x\ty"}},
	// An unmatched quote is an ordinary character.
	{pattern: `[a, b = c]`, match: []string{`a c`, `"a c`}, noMatch: []string{`"a c"`}},
	{pattern: `[a = %^\d+$%, ...]`, match: []string{"12 x", "12"}, noMatch: []string{"1a x"}},
	{pattern: `[..., last = end]`, match: []string{"end", "a b end"}, noMatch: []string{"", "end x"}},
	{pattern: `[...]`, match: []string{"", "anything at all"}},
	{pattern: `[]`, match: []string{"", "anything at all"}},
	{pattern: `[a, ..., y, z]`, match: []string{"a y z", "a b c d y z"}, noMatch: []string{"a z"}},
	{pattern: `[a > 10, b < -1.5]`, match: []string{"11 -2", "1e2 -1.6"}, noMatch: []string{"10 -2", "x -2", "11 -1.5"}},
	{pattern: `[a != 10, b]`, match: []string{"11 x"}, noMatch: []string{"10 x", "ten x"}},
	{pattern: `[a = 1* && a != 12, b]`, match: []string{"10 x", "1 x"}, noMatch: []string{"12 x", "2 x"}},
	{pattern: `[a, ]`, match: []string{"x y"}, noMatch: []string{"x"}},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		p := mustParse(t, c.pattern)
		for _, m := range c.match {
			if !p.Match(m) {
				t.Errorf("%q does not match %q", c.pattern, m)
			}
		}
		for _, m := range c.noMatch {
			if p.Match(m) {
				t.Errorf("%q matches %q", c.pattern, m)
			}
		}
	}
	var nilPattern *Pattern
	if !nilPattern.Match("x") || nilPattern.String() != "" {
		t.Error("a nil *Pattern should match everything and print as the empty pattern")
	}
}

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		``:                                  ``,
		`  ERROR   "bad request" -x  ?"y" `: `ERROR "bad request" -x ?y`,
		`"ERROR"`:                           `ERROR`,
		`" "`:                               `" "`,
		`"a\"b\\c\d"`:                       `"a\"b\c\d"`,
		` %a{,3}b% `:                        `%a{,3}b%`,
		`{$.a=1&&($.b="x"||$.c IS NULL)}`:   `{ $.a = 1 && ($.b = x || $.c IS NULL) }`,
		`{ (($.a = 1)) && ($.b = 2 && $.c = 3) }`:                      `{ $.a = 1 && $.b = 2 && $.c = 3 }`,
		`{ ($.a = 1 || $.b = 2) || $.c NOT EXISTS }`:                   `{ $.a = 1 || $.b = 2 || $.c NOT EXISTS }`,
		`{ $.['a'].['b.c'][007][*] = "1" }`:                            `{ $.a.['b.c'][7][*] = "1" }`,
		`{ $.a = "x y" && $.b = +1e3 && $.c = %r% }`:                   `{ $.a = "x y" && $.b = +1e3 && $.c = %r% }`,
		`{ $.a = 123.123.* && $.b = "*.html*" }`:                       `{ $.a = 123.123.* && $.b = *.html* }`,
		`{ $.x IS TRUE || $.y IS FALSE }`:                              `{ $.x IS TRUE || $.y IS FALSE }`,
		`[ip,user, ..., status_code=4*&&status_code!=403,bytes>1000,]`: `[ip, user, ..., status_code = 4* && status_code != 403, bytes > 1000, ]`,
		`[w1=ERROR||w1=WARNING,w2]`:                                    `[w1 = ERROR || w1 = WARNING, w2]`,
		`[ ]`:                                                          `[]`,
	} {
		p := mustParse(t, in)
		if got := p.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
	}
	// A canonical form over the limit is written without spaces.
	var conds []string
	for k := 0; k < 100; k++ {
		conds = append(conds, "$.a=1")
	}
	long := "{" + strings.Join(conds, "||") + "}"
	p := mustParse(t, long)
	if got := p.String(); got != long {
		t.Errorf("String() of a long pattern = %.60q..., want it compact", got)
	}
}
