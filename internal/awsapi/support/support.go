// Package support names how far Berth serves an operation of an AWS API:
// each API's package keeps a table of its operations in these terms, its
// tests check the table against the handlers and the model
// (internal/awsapi/supporttable), and the docs' operations tables are
// generated from it.
package support

// Level is how far Berth serves an operation.
type Level string

// Levels of support.
const (
	Served      Level = "served"
	Partial     Level = "partial"
	Unsupported Level = "unsupported"
)

// Support is one operation's level and what is missing or why.
type Support struct {
	Level Level
	Note  string
}
