//go:build !reliability

package reliability

import "time"

// editorsSteadyWindow is how long R4 counts the operator's writes once
// steady, in make test.
const editorsSteadyWindow = 10 * time.Second
