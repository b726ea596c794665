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
