package translate

import (
	"testing"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
)

// An FSx for Windows File Server volume is the claim of its SMB share (the
// first directory of rootDirectory, as ECS maps \\<file system>\<rootDirectory>),
// with the rest of rootDirectory as the subPath, in '/' whatever the
// separators written.
func TestFSxWindowsVolume(t *testing.T) {
	for _, tc := range []struct {
		root, claim, subPath string
	}{
		{root: "share", claim: "fsx-fs-0123abcd-share"},
		{root: `\share`, claim: "fsx-fs-0123abcd-share"},
		{root: `\share\`, claim: "fsx-fs-0123abcd-share"},
		{root: `share\data`, claim: "fsx-fs-0123abcd-share", subPath: "data"},
		{root: `\\share\\Reports\2026\`, claim: "fsx-fs-0123abcd-share", subPath: "Reports/2026"},
		{root: "share/data/x", claim: "fsx-fs-0123abcd-share", subPath: "data/x"},
		{root: `Share\Data`, claim: "fsx-fs-0123abcd-share", subPath: "Data"},
		{root: `D$\apps`, claim: "fsx-fs-0123abcd-d", subPath: "apps"},
		{root: `share\.\a\..\b`, claim: "fsx-fs-0123abcd-share", subPath: "b"},
		{root: `share\..\apps\x`, claim: "fsx-fs-0123abcd-apps", subPath: "x"},
		{root: `..\..\x`, claim: "fsx-fs-0123abcd-x"},
		{root: "", claim: "fsx-fs-0123abcd"},
		{root: `\`, claim: "fsx-fs-0123abcd"},
	} {
		cfg := &ecsv1alpha1.FSxWindowsFileServerVolumeConfiguration{FileSystemId: "fs-0123ABCD", RootDirectory: tc.root}
		claim, subPath := FSxWindowsVolume(cfg)
		if claim != tc.claim || subPath != tc.subPath {
			t.Errorf("rootDirectory %q: claim %q, subPath %q; want %q, %q", tc.root, claim, subPath, tc.claim, tc.subPath)
		}
	}
}

// An S3 Files volume is the claim named after the file system and access
// point IDs of its ARNs, as an EFS volume's is after its IDs.
func TestS3FilesClaimName(t *testing.T) {
	const fs = "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef01"
	for _, tc := range []struct {
		fs, ap, want, err string
	}{
		{fs: fs, want: "s3files-fs-0123456789abcdef01"},
		{fs: fs, ap: fs + "/access-point/fsap-0fedcba9876543210", want: "s3files-fs-0123456789abcdef01-fsap-0fedcba9876543210"},
		{fs: "arn:aws-cn:s3files:cn-north-1:123456789012:file-system/fs-0123456789abcdef01", want: "s3files-fs-0123456789abcdef01"},
		{fs: "fs-0123456789abcdef01", err: "fileSystemArn"},
		{fs: "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef01", err: "fileSystemArn"},
		{fs: "arn:aws:s3files:us-east-1:123456789012:file-system/", err: "fileSystemArn"},
		{fs: fs, ap: fs, err: "accessPointArn"},
	} {
		got, err := S3FilesClaimName(&ecsv1alpha1.S3FilesVolumeConfiguration{FileSystemArn: tc.fs, AccessPointArn: tc.ap})
		switch {
		case tc.err != "" && (err == nil || err.Field != tc.err):
			t.Errorf("%q, %q: %q, %v; want an error on %s", tc.fs, tc.ap, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q, %q: %q, %v; want %q", tc.fs, tc.ap, got, err, tc.want)
		}
	}
}

func TestRootSubPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "/data": "data", "data/": "data", "/a/../b": "b", "/..": "", "../../etc": "etc", "/a//b/./c": "a/b/c"} {
		if got := rootSubPath(in); got != want {
			t.Errorf("rootSubPath(%q) = %q, want %q", in, got, want)
		}
	}
}
