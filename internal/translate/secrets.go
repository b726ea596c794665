package translate

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// SecretKeyDefault is the key of a Kubernetes Secret that holds a whole
// Secrets Manager secret or SSM parameter (no json-key named).
const SecretKeyDefault = "value"

// SecretRef is where an ECS secret's value is found in Kubernetes: a key of
// a Secret in the task's namespace.
type SecretRef struct {
	// Name is the Secret's name.
	Name string
	// Key is the key within the Secret.
	Key string
	// Source says where ECS would read the value: "secretsmanager" or "ssm".
	Source string
	// Version is a pinned version stage or id, which Kubernetes Secrets do
	// not have ("" when none is pinned).
	Version string
}

var (
	// Secrets Manager ARNs end with a hyphen and six random characters that
	// AWS appends to the name; partial ARNs leave them out.
	smSuffix   = regexp.MustCompile(`^(.+)-[A-Za-z0-9]{6}$`)
	notNameRun = regexp.MustCompile(`[^a-z0-9-]+`)
	dashRun    = regexp.MustCompile(`-{2,}`)
)

// ResolveSecret maps a secret's valueFrom (a Secrets Manager ARN, optionally
// with :json-key:version-stage:version-id, an SSM parameter ARN, or an SSM
// parameter name) to a Kubernetes Secret key, by the rule documented in
// docs/secrets.md:
//
//   - Secrets Manager arn:aws:secretsmanager:<region>:<account>:secret:<name>[-<6 chars>][:<json-key>[:<stage>[:<id>]]]
//     → Secret SecretName(<name>), key <json-key> or "value". The six
//     characters AWS appends to a full ARN are dropped (AWS documents the
//     same ambiguity for names that end in a hyphen and six characters).
//   - SSM arn:aws:ssm:<region>:<account>:parameter/<path/name>, or a bare
//     parameter name → Secret SecretName(<path/name>), key "value".
//
// The operator never reads the Secret: the kubelet does, when it starts the
// container.
func ResolveSecret(valueFrom string) (SecretRef, error) {
	if !strings.HasPrefix(valueFrom, "arn:") {
		return ssmRef(valueFrom)
	}
	parts := strings.Split(valueFrom, ":")
	if len(parts) < 6 {
		return SecretRef{}, fmt.Errorf("%q is not a Secrets Manager or SSM Parameter Store ARN", valueFrom)
	}
	switch parts[2] {
	case "secretsmanager":
		return smRef(valueFrom, parts)
	case "ssm":
		res := parts[5]
		if len(parts) > 6 {
			res = strings.Join(parts[5:], ":")
		}
		name, ok := strings.CutPrefix(res, "parameter")
		if !ok || name == "" {
			return SecretRef{}, fmt.Errorf("%q is not an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>)", valueFrom)
		}
		return ssmRef(name)
	default:
		return SecretRef{}, fmt.Errorf("%q is not a Secrets Manager or SSM Parameter Store ARN (service %q)", valueFrom, parts[2])
	}
}

// smRef maps a Secrets Manager ARN, split at ':'.
func smRef(valueFrom string, parts []string) (SecretRef, error) {
	if len(parts) < 7 || parts[5] != "secret" || parts[6] == "" {
		return SecretRef{}, fmt.Errorf("%q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)", valueFrom)
	}
	name := parts[6]
	if m := smSuffix.FindStringSubmatch(name); m != nil {
		name = m[1]
	}
	ref := SecretRef{Name: SecretName(name), Key: SecretKeyDefault, Source: "secretsmanager"}
	if len(parts) > 7 && parts[7] != "" {
		ref.Key = parts[7]
	}
	if len(parts) > 8 {
		ref.Version = strings.Trim(strings.Join(parts[8:], ":"), ":")
	}
	if ref.Name == "" {
		return SecretRef{}, fmt.Errorf("%q names no secret", valueFrom)
	}
	if errs := validation.IsConfigMapKey(ref.Key); len(errs) > 0 {
		return SecretRef{}, fmt.Errorf("json-key %q of %q cannot be a Kubernetes Secret key: %s", ref.Key, valueFrom, strings.Join(errs, "; "))
	}
	return ref, nil
}

func ssmRef(name string) (SecretRef, error) {
	n := SecretName(strings.TrimPrefix(name, "/"))
	if n == "" {
		return SecretRef{}, fmt.Errorf("%q names no SSM parameter", name)
	}
	return SecretRef{Name: n, Key: SecretKeyDefault, Source: "ssm"}, nil
}

// SecretName is the Kubernetes Secret name for a Secrets Manager secret or
// SSM parameter name: lower case, every run of characters other than
// letters, digits and '-' (such as '/', '_', '+', '=', '.', '@') becomes
// one '-', and leading or trailing '-' are trimmed. "prod/db_Password"
// becomes "prod-db-password". Names longer than 253 characters are cut.
func SecretName(name string) string {
	n := notNameRun.ReplaceAllString(strings.ToLower(name), "-")
	n = dashRun.ReplaceAllString(n, "-")
	n = strings.Trim(n, "-")
	if len(n) > validation.DNS1123SubdomainMaxLength {
		n = strings.Trim(n[:validation.DNS1123SubdomainMaxLength], "-")
	}
	return n
}

// ConfigMapForEnvironmentFile is the ConfigMap holding an environment file
// (an S3 object ARN, arn:aws:s3:::<bucket>/<key>.env): SecretName of
// "<bucket>/<key>" without the .env extension. Create it with
// `kubectl create configmap <name> --from-env-file=<file>`.
func ConfigMapForEnvironmentFile(arn string) (string, error) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", fmt.Errorf("%q is not an S3 object ARN (arn:aws:s3:::<bucket>/<key>)", arn)
	}
	parts := strings.SplitN(rest, ":", 5)
	if len(parts) != 5 || parts[1] != "s3" || !strings.Contains(parts[4], "/") {
		return "", fmt.Errorf("%q is not an S3 object ARN (arn:aws:s3:::<bucket>/<key>)", arn)
	}
	name := SecretName(strings.TrimSuffix(parts[4], ".env"))
	if name == "" {
		return "", fmt.Errorf("%q names no object", arn)
	}
	return name, nil
}
