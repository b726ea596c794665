//go:build !reliability

package reliability

import "time"

// fuzzPerKind is how many objects R6 generates of each of the seven
// user-written kinds in make test.
const fuzzPerKind = 9

// fuzzSettle is how long the fuzzed objects get to settle before the
// operator's writes to them are counted.
const fuzzSettle = 20 * time.Second
