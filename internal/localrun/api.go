package localrun

import (
	"context"
	"fmt"
	"net"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/endpoint"
	"github.com/berth-dev/berth/internal/names"
)

// The development access key `make run` creates: it acts as a cluster
// administrator in the samples' namespace. It is for this local control
// plane only, which listens on loopback.
const (
	DevAccessKeyID     = "AKIABERTHLOCALDEV000"
	DevSecretAccessKey = "berth-local-development-secret-key"
	devKeySecret       = "berth-dev-access-key"
	// APIPort is the endpoint's port when it is free (LocalStack's, which
	// ECS tooling is often pointed at already).
	APIPort = 4566
)

// APIEnv is what a shell needs for `aws ecs ...` to reach the endpoint.
func APIEnv(addr string) string {
	return fmt.Sprintf(`export AWS_ENDPOINT_URL=http://%s
export AWS_ACCESS_KEY_ID=%s
export AWS_SECRET_ACCESS_KEY=%s
export AWS_DEFAULT_REGION=%s`, addr, DevAccessKeyID, DevSecretAccessKey, names.DefaultRegion)
}

// startAPI creates the development key and serves the ECS API on loopback
// until ctx ends; it returns the address once it listens.
func startAPI(ctx context.Context, cfg *rest.Config, admin client.Client, ns string, log logr.Logger) (string, <-chan error, error) {
	key := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: devKeySecret},
		Type:       awsapi.SecretTypeAccessKey,
		StringData: map[string]string{
			awsapi.KeyAccessKeyID: DevAccessKeyID, awsapi.KeySecretAccessKey: DevSecretAccessKey,
			awsapi.KeyUsername: "berth-dev", awsapi.KeyGroups: "system:masters", awsapi.KeyNamespace: ns,
		},
	}
	if err := admin.Create(ctx, key); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", nil, fmt.Errorf("create the development access key: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", APIPort)
	if ln, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0" // taken: any free port
	} else {
		_ = ln.Close()
	}
	ep, err := endpoint.New(cfg, endpoint.Options{Addr: addr, KeyNamespace: Namespace, Account: names.DefaultAccount, Log: log})
	if err != nil {
		return "", nil, err
	}
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- ep.Serve(ctx, func(a string) { ready <- a }) }()
	select {
	case a := <-ready:
		return a, errc, nil
	case err := <-errc:
		return "", nil, fmt.Errorf("start the ECS API endpoint: %w", err)
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
}
