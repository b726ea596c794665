package awsapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/berth-dev/berth/internal/awsapi/awsjson"
	"github.com/berth-dev/berth/internal/names"
)

// Access key Secrets: one Secret per key in the endpoint's namespace, of type
// SecretTypeAccessKey, whose data names the key and the identity it maps to.
const (
	SecretTypeAccessKey corev1.SecretType = "ecs.berth.dev/access-key"
	// KeyAccessKeyID is the access key ID (AKIA...), unique among the Secrets.
	KeyAccessKeyID = "accessKeyId"
	// KeySecretAccessKey is the secret key the client signs with.
	KeySecretAccessKey = "secretAccessKey"
	// KeyUsername is the Kubernetes user the key acts as.
	KeyUsername = "username"
	// KeyServiceAccount is "namespace/name" of a ServiceAccount the key acts
	// as (instead of username).
	KeyServiceAccount = "serviceAccount"
	// KeyGroups is a comma-separated list of the identity's groups.
	KeyGroups = "groups"
	// KeyNamespace is the namespace that plays the key's AWS account.
	KeyNamespace = "namespace"
	// AnnotationAccountID on a namespace is the account ID its ARNs show.
	AnnotationAccountID = "ecs.berth.dev/account-id"
)

// Identity is the Kubernetes identity an access key acts as, and the
// namespace that is its account.
type Identity struct {
	AccessKeyID string
	Username    string
	Groups      []string
	Namespace   string
}

// Key is a stored access key.
type Key struct {
	Identity
	Secret string
}

// KeyFromSecret reads an access key Secret.
func KeyFromSecret(s *corev1.Secret) (Key, error) {
	d := func(k string) string { return strings.TrimSpace(string(s.Data[k])) }
	k := Key{Identity: Identity{AccessKeyID: d(KeyAccessKeyID), Username: d(KeyUsername), Namespace: d(KeyNamespace)}, Secret: d(KeySecretAccessKey)}
	if sa := d(KeyServiceAccount); sa != "" {
		ns, name, ok := strings.Cut(sa, "/")
		if !ok || k.Username != "" {
			return k, fmt.Errorf("secret %s: %s is namespace/name and excludes %s", s.Name, KeyServiceAccount, KeyUsername)
		}
		// The API server adds the service account groups and
		// system:authenticated to an impersonated identity.
		k.Username = "system:serviceaccount:" + ns + ":" + name
	}
	for _, g := range strings.Split(d(KeyGroups), ",") {
		if g = strings.TrimSpace(g); g != "" {
			k.Groups = append(k.Groups, g)
		}
	}
	// A key never acts as one of Kubernetes' own identities (system:masters
	// would make whoever writes key Secrets a cluster administrator).
	for _, n := range append([]string{d(KeyUsername)}, k.Groups...) {
		if strings.HasPrefix(n, "system:") {
			return k, fmt.Errorf("secret %s: %q is a Kubernetes system identity: bind a Role or ClusterRole to a user or ServiceAccount instead", s.Name, n)
		}
	}
	if k.AccessKeyID == "" || k.Secret == "" || k.Username == "" || k.Namespace == "" {
		return k, fmt.Errorf("secret %s: %s, %s, %s (or %s) and %s are required", s.Name, KeyAccessKeyID, KeySecretAccessKey, KeyUsername, KeyServiceAccount, KeyNamespace)
	}
	return k, nil
}

// KeyLookup finds an access key by its ID; ok is false for an unknown key.
type KeyLookup func(ctx context.Context, accessKeyID string) (key Key, ok bool, err error)

// SecretKeys looks keys up among the access key Secrets of one namespace,
// read through r (a cache restricted to that namespace).
func SecretKeys(r client.Reader, namespace string) KeyLookup {
	return func(ctx context.Context, id string) (Key, bool, error) {
		var list corev1.SecretList
		if err := r.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{IndexAccessKeyID: id}); err != nil {
			return Key{}, false, err
		}
		var found []Key
		for i := range list.Items {
			s := &list.Items[i]
			if s.Type != SecretTypeAccessKey {
				continue
			}
			k, err := KeyFromSecret(s)
			if err == nil && k.AccessKeyID == id {
				found = append(found, k)
			}
		}
		// Two Secrets with one key ID: neither is trusted.
		if len(found) != 1 {
			return Key{}, false, nil
		}
		return found[0], true, nil
	}
}

// IndexAccessKeyID indexes Secrets by their access key ID.
const IndexAccessKeyID = "ecs.berth.dev/access-key-id"

// IndexSecret is the index function of IndexAccessKeyID.
func IndexSecret(o client.Object) []string {
	s, ok := o.(*corev1.Secret)
	if !ok || s.Type != SecretTypeAccessKey {
		return nil
	}
	if id := strings.TrimSpace(string(s.Data[KeyAccessKeyID])); id != "" {
		return []string{id}
	}
	return nil
}

// SigV4 authenticates SigV4-signed requests with stored keys and gives each
// caller a client that impersonates the key's identity.
type SigV4 struct {
	Keys KeyLookup
	// Config is the endpoint's own REST config; callers' clients copy it
	// and impersonate.
	Config *rest.Config
	Scheme *runtime.Scheme
	Mapper meta.RESTMapper
	// Namespaces reads namespaces for their account ID annotation, with the
	// endpoint's own identity.
	Namespaces client.Reader
	// Account is the default account (region and account ID).
	Account names.Account
	// AnyKey accepts any access key without checking its signature, acting
	// as Fallback: for local development only.
	AnyKey   bool
	Fallback Key
	Now      func() time.Time

	mu      sync.Mutex
	clients map[string]identityClients
}

// Authenticate implements Authenticator.
func (a *SigV4) Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (*Caller, *awsjson.Error) {
	sig, perr := parseAuthorization(r.Header.Get("Authorization"))
	var key Key
	switch {
	case a.AnyKey:
		key = a.Fallback
	case perr != nil:
		return nil, perr
	case service != "" && sig.service != service:
		return nil, &awsjson.Error{Type: awsjson.InvalidSignature, Status: http.StatusForbidden,
			Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service)}
	case sig.region != a.Account.Region:
		return nil, &awsjson.Error{Type: awsjson.InvalidSignature, Status: http.StatusForbidden,
			Message: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", sig.region)}
	default:
		k, ok, err := a.Keys(ctx, sig.accessKeyID)
		if err != nil {
			return nil, &awsjson.Error{Type: "ServerException", Message: "looking up the access key: " + err.Error(), Status: http.StatusInternalServerError}
		}
		if !ok {
			return nil, &awsjson.Error{Type: awsjson.UnrecognizedClient, Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
		}
		now := time.Now
		if a.Now != nil {
			now = a.Now
		}
		if verr := verify(ctx, r, body, sig, k.Secret, now()); verr != nil {
			return nil, verr
		}
		key = k
	}
	ic, err := a.client(key.Identity)
	if err != nil {
		return nil, &awsjson.Error{Type: "ServerException", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	acct := a.Account
	var ns corev1.Namespace
	if err := a.Namespaces.Get(ctx, client.ObjectKey{Name: key.Namespace}, &ns); err == nil {
		if id := ns.Annotations[AnnotationAccountID]; id != "" {
			acct.AccountID = id
		}
	} else if !apierrors.IsNotFound(err) {
		return nil, &awsjson.Error{Type: "ServerException", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	return &Caller{Identity: key.Identity, Client: ic.client, Kube: ic.kube, Account: acct}, nil
}

// identityClients are the clients of one identity.
type identityClients struct {
	client client.Client
	kube   kubernetes.Interface
}

// client returns the clients impersonating id, one set per identity.
func (a *SigV4) client(id Identity) (identityClients, error) {
	k := id.Username + "\x00" + strings.Join(id.Groups, ",")
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[k]; ok {
		return c, nil
	}
	cfg := rest.CopyConfig(a.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: id.Username, Groups: id.Groups}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return identityClients{}, err
	}
	c, err := client.New(cfg, client.Options{Scheme: a.Scheme, Mapper: a.Mapper, HTTPClient: hc})
	if err != nil {
		return identityClients{}, err
	}
	kube, err := kubernetes.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return identityClients{}, err
	}
	if a.clients == nil {
		a.clients = map[string]identityClients{}
	}
	ic := identityClients{client: c, kube: kube}
	a.clients[k] = ic
	return ic, nil
}
