package localcp

// PIDs returns the process IDs of the running control-plane processes, so
// that the external tests can check that Stop leaves none behind.
func PIDs(c *ControlPlane) map[string]int {
	pids := make(map[string]int, len(c.procs))
	for _, p := range c.procs {
		pids[p.name] = p.pid()
	}
	return pids
}
