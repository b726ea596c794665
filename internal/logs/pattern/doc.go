// Package pattern implements CloudWatch Logs filter patterns, the syntax
// of metric filters, subscription filters, FilterLogEvents and Live Tail,
// as the CloudWatch Logs User Guide documents it ("Filter pattern syntax
// for metric filters, subscription filters, filter log events, and Live
// Tail": https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
//
// Parse reads a pattern (at most 1024 characters, CloudWatch's limit),
// Match tests a log event's message, String gives a canonical form.
//
// # Unstructured terms
//
//	ERROR                      the message contains ERROR (case-sensitive, any substring)
//	ERROR ARGUMENTS            contains both
//	"INTERNAL SERVER ERROR"    contains the phrase; \" and \\ escape in quotes
//	?ERROR ?ARGUMENTS          contains either
//	ERROR -ARGUMENTS           contains ERROR, not ARGUMENTS
//	"" or " " or nothing       every message
//
// Unquoted terms are letters, digits and '_'; anything else must be
// quoted. As documented, ?terms next to other terms are ignored:
// "?ERROR ?ARGUMENTS REQUEST" is "REQUEST".
//
// # Regular expressions
//
// %regex% is a pattern on its own, or a value in a JSON or space-delimited
// pattern (at most 2 per pattern). It may hold letters, digits, the
// symbols : _ # = @ / ; , - and space, the operators ^ $ ? [ ] { } | \ *
// + . and the escapes \d \D \s \S \w \W \xhh; not ( ), not multi-byte
// characters. {m,n} may leave out m or n. It runs on Go's RE2 engine and
// matches anywhere in the text unless anchored.
//
// # JSON
//
//	{ $.eventType = "UpdateTrail" }          strings: = and !=, * a wildcard at either end
//	{ $.latency > 500 }                      numbers: = != < <= > >=, 10e-3, +1000, -1.5
//	{ $.eventType = %Trail% }                a regex (= or !=)
//	{ $.a.b[0] = x }, { $.['cluster.name'] = "c" }
//	{ $.arrayKey[*] = "v" }, { $.* = "v" }   a wildcard: one per selector, three per pattern
//	{ $.f IS TRUE }, IS FALSE, IS NULL, { $.f NOT EXISTS }
//	{ ($.a = 1 || $.b = 2) && $.c = 3 }      () before && before ||
//
// Unquoted values are letters, digits, '_', '.', '*', '+' and '-' (as in
// the documented 123.123.*); a value that reads as a number is one, so "1"
// (a string) and 1 (a number) differ. A message that is not one JSON
// object matches no JSON pattern. A
// selector reaching an object or array satisfies no comparison. With a
// wildcard, a condition holds if any value it reaches satisfies it.
//
// # Space-delimited
//
//	[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes > 1000]
//	[..., status_code = 404 || status_code = 410, bytes]
//	[w1 != ERROR && w1 != WARNING, w2]
//
// The message's fields are separated by spaces; the characters between
// [ and ] or between double quotes make one field (without them). The
// last field of a pattern without an ellipsis takes the rest of the
// message, hence the documented "blank indicator" w2 in [w1=ERROR, w2]; a
// message with fewer fields than the pattern does not match. One "..."
// stands for any number of fields. A trailing comma adds an unnamed field.
//
// # Choices where the documentation is silent or inconsistent
//
//   - A * in the middle of a string is itself, not a wildcard: the User
//     Guide said "Ev*ent will only match the actual string Ev*ent".
//   - A numeric comparison (!= included) holds only for a value that is a
//     number; JSON strings holding a number count. An = or != against a
//     string compares the text of strings and numbers, never of true,
//     false or null: { $.f = true } does not match {"f": true}.
//   - A condition in a space-delimited field names that field: the old
//     example [..., status_code = 4* && bytes > 1000] is rejected. Field
//     names are unique and start with a letter or '_'; one ellipsis at
//     most.
//   - Keywords (IS, NULL, TRUE, FALSE, NOT, EXISTS) are upper case.
//   - With duplicate keys in a JSON object every occurrence counts.
//   - Parentheses nest at most 32 deep.
package pattern
