package translate

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

// EFSClaimName is the PersistentVolumeClaim an EFS volume is mounted from:
// "efs-<fileSystemId>", or "efs-<fileSystemId>-<accessPointId>" with an
// access point (docs/volumes.md).
func EFSClaimName(cfg *ecsv1alpha1.EFSVolumeConfiguration) string {
	n := "efs-" + cfg.FileSystemId
	if cfg.AuthorizationConfig != nil && cfg.AuthorizationConfig.AccessPointId != "" {
		n += "-" + cfg.AuthorizationConfig.AccessPointId
	}
	return SecretName(n)
}

// FSxWindowsVolume is the PersistentVolumeClaim an FSx for Windows File
// Server volume is mounted from, and the subPath within it. ECS maps
// \\<file system>\<rootDirectory> on the container instance, so the first
// directory of rootDirectory is the file system's SMB share, which one
// PersistentVolume mounts (csi-driver-smb: source //<file system DNS
// name>/<share>): the claim is "fsx-<fileSystemId>-<share>", and the rest of
// rootDirectory, with Windows' backslashes made '/', is the subPath
// (docs/containers.md). An empty rootDirectory gives "fsx-<fileSystemId>"
// and no subPath. "." and ".." are resolved within the path: it never
// leaves its share.
func FSxWindowsVolume(cfg *ecsv1alpha1.FSxWindowsFileServerVolumeConfiguration) (claim, subPath string) {
	root := path.Clean("/" + strings.ReplaceAll(cfg.RootDirectory, `\`, "/"))
	share, rest, _ := strings.Cut(strings.TrimPrefix(root, "/"), "/")
	claim = "fsx-" + cfg.FileSystemId
	if share != "" {
		claim += "-" + share
	}
	return SecretName(claim), rest
}

// S3FilesClaimName is the PersistentVolumeClaim an S3 Files volume is
// mounted from, as EFSClaimName is for EFS: "s3files-<fileSystemId>", or
// "s3files-<fileSystemId>-<accessPointId>" with an access point, the IDs
// taken from the ARNs (arn:aws:s3files:<region>:<account>:file-system/fs-…
// and …/file-system/fs-…/access-point/fsap-…; docs/containers.md). An ARN
// of another form is an error naming its field.
func S3FilesClaimName(cfg *ecsv1alpha1.S3FilesVolumeConfiguration) (string, *field.Error) {
	fs, ok := s3FilesID(cfg.FileSystemArn, "file-system/")
	if !ok {
		return "", field.Invalid(field.NewPath("fileSystemArn"), cfg.FileSystemArn,
			"must be an S3 Files file system ARN, arn:aws:s3files:<region>:<account>:file-system/<id>")
	}
	n := "s3files-" + fs
	if cfg.AccessPointArn != "" {
		ap, ok := s3FilesID(cfg.AccessPointArn, "/access-point/")
		if !ok {
			return "", field.Invalid(field.NewPath("accessPointArn"), cfg.AccessPointArn,
				"must be an S3 Files access point ARN, arn:aws:s3files:<region>:<account>:file-system/<id>/access-point/<id>")
		}
		n += "-" + ap
	}
	return SecretName(n), nil
}

// s3FilesID is the ID that follows marker in an ARN of the s3files
// service, up to the next '/'.
func s3FilesID(arn, marker string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "s3files" {
		return "", false
	}
	_, after, ok := strings.Cut(parts[5], marker)
	id, _, _ := strings.Cut(after, "/")
	return id, ok && id != ""
}

// SharedVolumeClaimName is the PersistentVolumeClaim a shared-scope Docker
// volume is mounted from: the volume's name, made a DNS name.
func SharedVolumeClaimName(volume string) string { return SecretName(volume) }

// podVolume is a translated task volume and what its mounts need.
type podVolume struct {
	name    string
	subPath string // EFS, FSx or S3 Files rootDirectory, relative
}

// volumes translates the task's volumes: a host sourcePath is a hostPath;
// a volume with no configuration, or a task-scoped Docker volume, is an
// emptyDir that lives with the task; a shared Docker volume and an EFS
// volume are PersistentVolumeClaims named by a documented rule.
func (b *builder) volumes(td *ecsv1alpha1.RegisterTaskDefinitionInput) map[string]podVolume {
	res := map[string]podVolume{}
	seen := map[string]string{}
	for i := range td.Volumes {
		v := &td.Volumes[i]
		p := field.NewPath("volumes").Index(i)
		if v.Name == "" {
			b.errs = append(b.errs, field.Required(p.Child("name"), "a volume needs a name"))
			continue
		}
		name := names.Volume(v.Name)
		if len(validation.IsDNS1123Label(name)) > 0 {
			b.errs = append(b.errs, field.Invalid(p.Child("name"), v.Name, "up to 255 letters, numbers, hyphens and underscores are allowed"))
			continue
		}
		if other, dup := seen[name]; dup {
			b.errs = append(b.errs, field.Duplicate(p.Child("name"), fmt.Sprintf("%s (also %s)", v.Name, other)))
			continue
		}
		seen[name] = v.Name
		pv := podVolume{name: name}
		vol := corev1ac.Volume().WithName(name)
		if !b.volumeSource(p, v, vol, &pv) {
			continue
		}
		b.spec.WithVolumes(vol)
		res[v.Name] = pv
	}
	return res
}

// rootSubPath is a file system's rootDirectory as a volumeMount's subPath:
// relative, cleaned, kept inside the volume (/a/../b → b, /.. → ""), as the
// file system's root directory is; "" for its root.
func rootSubPath(root string) string {
	return strings.TrimPrefix(path.Clean("/"+root), "/")
}

// volumeSource sets where a volume's data lives; false when Berth cannot
// provide it.
func (b *builder) volumeSource(p *field.Path, v *ecsv1alpha1.Volume, vol *corev1ac.VolumeApplyConfiguration, pv *podVolume) bool {
	switch {
	case v.EfsVolumeConfiguration != nil:
		cfg := v.EfsVolumeConfiguration
		vol.WithPersistentVolumeClaim(corev1ac.PersistentVolumeClaimVolumeSource().WithClaimName(EFSClaimName(cfg)))
		pv.subPath = rootSubPath(cfg.RootDirectory)
	case v.DockerVolumeConfiguration != nil:
		cfg := v.DockerVolumeConfiguration
		if cfg.Scope == ecsv1alpha1.ScopeShared {
			vol.WithPersistentVolumeClaim(corev1ac.PersistentVolumeClaimVolumeSource().WithClaimName(SharedVolumeClaimName(v.Name)))
		} else {
			vol.WithEmptyDir(corev1ac.EmptyDirVolumeSource())
		}
		if cfg.Driver != "" && cfg.Driver != "local" {
			b.note(p.Child("dockerVolumeConfiguration", "driver").String(), Approximated,
				fmt.Sprintf("Docker volume driver %q is not used: the storage class of the PersistentVolumeClaim decides", cfg.Driver))
		}
	case v.FsxWindowsFileServerVolumeConfiguration != nil:
		claim, subPath := FSxWindowsVolume(v.FsxWindowsFileServerVolumeConfiguration)
		vol.WithPersistentVolumeClaim(corev1ac.PersistentVolumeClaimVolumeSource().WithClaimName(claim))
		pv.subPath = subPath
	case v.S3filesVolumeConfiguration != nil:
		cfg := v.S3filesVolumeConfiguration
		claim, err := S3FilesClaimName(cfg)
		if err != nil {
			err.Field = p.Child("s3filesVolumeConfiguration").String() + "." + err.Field
			b.errs = append(b.errs, err)
			return false
		}
		vol.WithPersistentVolumeClaim(corev1ac.PersistentVolumeClaimVolumeSource().WithClaimName(claim))
		pv.subPath = rootSubPath(cfg.RootDirectory)
	case v.ConfiguredAtLaunch != nil && *v.ConfiguredAtLaunch:
		vol.WithPersistentVolumeClaim(corev1ac.PersistentVolumeClaimVolumeSource().WithClaimName(SharedVolumeClaimName(v.Name)))
	case v.Host != nil && v.Host.SourcePath != "":
		// No type check: the path may be a directory, a file or a socket
		// (/var/run/docker.sock), as a Docker bind mount's may.
		vol.WithHostPath(corev1ac.HostPathVolumeSource().WithPath(v.Host.SourcePath))
	default:
		vol.WithEmptyDir(corev1ac.EmptyDirVolumeSource())
	}
	return true
}

// mounts translates a container's mountPoints, and volumesFrom (the mounts
// of another container, read-only when asked).
func (b *builder) mounts(i int, defs []ecsv1alpha1.ContainerDefinition, vols map[string]podVolume, visiting map[int]bool) []*corev1ac.VolumeMountApplyConfiguration {
	c := &defs[i]
	path := containerPath(i)
	var res []*corev1ac.VolumeMountApplyConfiguration
	for k, mp := range c.MountPoints {
		p := path.Child("mountPoints").Index(k)
		v, ok := vols[mp.SourceVolume]
		if !ok {
			b.errs = append(b.errs, field.NotFound(p.Child("sourceVolume"), mp.SourceVolume))
			continue
		}
		if mp.ContainerPath == "" {
			b.errs = append(b.errs, field.Required(p.Child("containerPath"), "a mount point needs a containerPath"))
			continue
		}
		m := corev1ac.VolumeMount().WithName(v.name).WithMountPath(mp.ContainerPath)
		if v.subPath != "" {
			m.WithSubPath(v.subPath)
		}
		if mp.ReadOnly != nil && *mp.ReadOnly {
			m.WithReadOnly(true)
		}
		res = append(res, m)
	}
	visiting[i] = true
	defer delete(visiting, i)
	for k, vf := range c.VolumesFrom {
		p := path.Child("volumesFrom").Index(k)
		j := -1
		for n := range defs {
			if defs[n].Name == vf.SourceContainer {
				j = n
			}
		}
		switch {
		case j < 0:
			b.errs = append(b.errs, field.NotFound(p.Child("sourceContainer"), vf.SourceContainer))
			continue
		case visiting[j]:
			b.errs = append(b.errs, field.Invalid(p.Child("sourceContainer"), vf.SourceContainer, "volumesFrom has a circular reference"))
			continue
		}
		for _, m := range b.mounts(j, defs, vols, visiting) {
			if vf.ReadOnly != nil && *vf.ReadOnly {
				m.WithReadOnly(true)
			}
			res = append(res, m)
		}
	}
	return res
}

// memoryVolume adds an emptyDir in memory of sizeMiB (0: unbounded) for
// /dev/shm or a tmpfs mount, and returns its name.
func (b *builder) memoryVolume(kind, container string, n int, sizeMiB int32) string {
	name := names.Volume(fmt.Sprintf("berth-%s-%s-%d", kind, container, n))
	ed := corev1ac.EmptyDirVolumeSource().WithMedium(corev1.StorageMediumMemory)
	if sizeMiB > 0 {
		ed.WithSizeLimit(*resource.NewQuantity(int64(sizeMiB)*1024*1024, resource.BinarySI))
	}
	b.spec.WithVolumes(corev1ac.Volume().WithName(name).WithEmptyDir(ed))
	return name
}
