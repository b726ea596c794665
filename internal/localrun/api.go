package localrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/awsapi"
	"github.com/berth-dev/berth/internal/awsapi/cloudwatch"
	"github.com/berth-dev/berth/internal/awsapi/endpoint"
	"github.com/berth-dev/berth/internal/names"
)

// The development access key `make run` creates acts as the user
// berth-dev, bound to the cluster-admin ClusterRole, in the samples'
// namespace; its secret is new at every run. It is for this local control
// plane only, which listens on loopback.
const (
	DevAccessKeyID = "AKIABERTHLOCALDEV000"
	devUser        = "berth-dev"
	devKeySecret   = "berth-dev-access-key"
	// APIPort is the endpoint's port when it is free (LocalStack's, which
	// ECS tooling is often pointed at already).
	APIPort = 4566
)

// APIEnv is what a shell needs for `aws ecs ...` to reach the endpoint.
func APIEnv(addr, secret string) string {
	return fmt.Sprintf(`export AWS_ENDPOINT_URL=http://%s
export AWS_ACCESS_KEY_ID=%s
export AWS_SECRET_ACCESS_KEY=%s
export AWS_DEFAULT_REGION=%s`, addr, DevAccessKeyID, secret, names.DefaultRegion)
}

// startAPI creates the development key and serves the ECS API on loopback
// until ctx ends; it returns the address and the key's secret once it
// listens.
func startAPI(ctx context.Context, cfg *rest.Config, admin client.Client, ns string, metrics cloudwatch.Source, log logr.Logger) (string, string, <-chan error, error) {
	random := make([]byte, 24)
	if _, err := rand.Read(random); err != nil {
		return "", "", nil, err
	}
	secret := hex.EncodeToString(random)
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: devKeySecret},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: devUser}},
	}
	if err := admin.Create(ctx, binding); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", "", nil, fmt.Errorf("bind the development user: %w", err)
	}
	key := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: devKeySecret},
		Type:       awsapi.SecretTypeAccessKey,
		StringData: map[string]string{
			awsapi.KeyAccessKeyID: DevAccessKeyID, awsapi.KeySecretAccessKey: secret,
			awsapi.KeyUsername: devUser, awsapi.KeyNamespace: ns,
		},
	}
	if err := admin.Create(ctx, key); err != nil {
		return "", "", nil, fmt.Errorf("create the development access key: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", APIPort)
	if ln, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0" // taken: any free port
	} else {
		_ = ln.Close()
	}
	ep, err := endpoint.New(cfg, endpoint.Options{Addr: addr, KeyNamespace: Namespace, Account: names.DefaultAccount, MetricSource: metrics, Log: log})
	if err != nil {
		return "", "", nil, err
	}
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- ep.Serve(ctx, func(a string) { ready <- a }) }()
	select {
	case a := <-ready:
		return a, secret, errc, nil
	case err := <-errc:
		return "", "", nil, fmt.Errorf("start the ECS API endpoint: %w", err)
	case <-ctx.Done():
		return "", "", nil, ctx.Err()
	}
}
