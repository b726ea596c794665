package localcp

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/internal/gatewayapi"
)

// crdsApplied is the outcome of applying CRDs: their names, or an error.
type crdsApplied struct {
	names []string
	err   error
}

// applyGatewayAPI applies the Gateway API CRDs (GatewayClass, Gateway,
// HTTPRoute, ReferenceGrant of the standard channel, embedded by
// internal/gatewayapi) in the background, while the other components
// start, and returns where the outcome arrives; waitUsable waits for it
// and for the CRDs to be established. Applying them takes about a second
// (they are large), which this keeps off the start's critical path. No
// Gateway controller runs: the objects are accepted and validated, no
// traffic flows.
func (c *ControlPlane) applyGatewayAPI(ctx context.Context) <-chan crdsApplied {
	done := make(chan crdsApplied, 1)
	dyn := c.dynamic // a retried boot replaces c.dynamic
	go func() {
		objs, err := gatewayapi.Objects()
		var names []string
		if err == nil {
			names, err = applyCRDs(ctx, dyn, "Gateway API", objs)
		}
		done <- crdsApplied{names: names, err: err}
	}()
	return done
}

// waitGatewayAPI waits for applyGatewayAPI's outcome, then for the CRDs to
// be established.
func (c *ControlPlane) waitGatewayAPI(ctx context.Context, applied <-chan crdsApplied) error {
	select {
	case a := <-applied:
		if a.err != nil {
			return a.err
		}
		return c.waitEstablished(ctx, a.names)
	case <-ctx.Done():
		return fmt.Errorf("wait for the Gateway API CRDs to be applied: %w", ctx.Err())
	}
}
