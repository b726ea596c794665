//go:build reliability

package reliability

import "time"

// fuzzPerKind is how many objects R6 generates of each of the seven
// user-written kinds in make reliability.
const fuzzPerKind = 86

// fuzzSettle is how long the fuzzed objects get to settle before the
// operator's writes to them are counted: 600 objects, some 300 created.
const fuzzSettle = 45 * time.Second
