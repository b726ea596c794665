package controllers

import (
	"strings"
	"testing"
)

func TestSelection(t *testing.T) {
	for _, tc := range []struct {
		in      string
		on, off []string
		err     string
	}{
		{in: "", on: Names},
		{in: "*", on: Names},
		{in: "*,-capacityprovider", on: []string{NameService, NameTask, NameSampler}, off: []string{NameCapacityProvider}},
		{in: "capacityprovider", on: []string{NameCapacityProvider}, off: []string{NameService, NameSampler}},
		{in: " service , task ", on: []string{NameService, NameTask}, off: []string{NameCluster}},
		{in: "-service", err: "enables no controller"},
		{in: "-service,-task", err: "enables no controller"},
		{in: "services", err: `unknown controller "services"`},
		{in: "*,-nodes", err: `unknown controller "nodes"`},
		{in: "service,-service", err: `"service" is both enabled and disabled`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			sel, err := ParseSelection(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sel.OnlyClusterWide(), tc.in == "capacityprovider"; got != want {
				t.Errorf("OnlyClusterWide() = %v, want %v", got, want)
			}
			if got, want := sel.All(), len(tc.on) == len(Names); got != want {
				t.Errorf("All() = %v, want %v", got, want)
			}
			for _, n := range tc.on {
				if !sel.Enabled(n) {
					t.Errorf("%s is not enabled", n)
				}
			}
			for _, n := range tc.off {
				if sel.Enabled(n) {
					t.Errorf("%s is enabled", n)
				}
			}
		})
	}
}
