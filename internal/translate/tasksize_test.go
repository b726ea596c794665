package translate

import (
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// Every form of task cpu and memory ECS documents, and what ECS registers
// (ECS API reference, RegisterTaskDefinition cpu and memory; developer
// guide, "Troubleshoot Amazon ECS task definition invalid CPU or memory
// errors"; Fargate's table lists ".25 vCPU" and "0.5 GB").
func TestNormalizeTaskCPU(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{in: "", want: ""},
		{in: "1024", want: "1024"},
		{in: "256", want: "256"},
		{in: "0256", want: "256"},
		{in: "1 vCPU", want: "1024"},
		{in: "1 vcpu", want: "1024"},
		{in: "1 VCPU", want: "1024"},
		{in: "1vcpu", want: "1024"},
		{in: "1  vCPU", want: "1024"},
		{in: ".25 vcpu", want: "256"},
		{in: ".25 vCPU", want: "256"},
		{in: "0.25 vCPU", want: "256"},
		{in: ".5 vCPU", want: "512"},
		{in: "0.5vcpu", want: "512"},
		{in: "0.125 vCPU", want: "128"},
		{in: "2 vCPU", want: "2048"},
		{in: "16 vCPU", want: "16384"},
		{in: "192 vCPU", want: "196608"},
		{in: "1.5 vcpu", want: "1536"},
		{in: "0.1 vcpu", want: "102"}, // 102.4: the fraction of a unit is dropped
		{in: "lots", err: ErrTaskCPU},
		{in: "1 cpu", err: ErrTaskCPU},
		{in: "1 vCPUs", err: ErrTaskCPU},
		{in: "vcpu", err: ErrTaskCPU},
		{in: ". vcpu", err: ErrTaskCPU},
		{in: "1. vcpu", err: ErrTaskCPU},
		{in: "1.5", err: ErrTaskCPU},
		{in: "-256", err: ErrTaskCPU},
		{in: "+256", err: ErrTaskCPU},
		{in: " 256", err: ErrTaskCPU},
		{in: "256 ", err: ErrTaskCPU},
		{in: "1 GB", err: ErrTaskCPU},
		{in: "1e3", err: ErrTaskCPU},
		{in: "1\tvcpu", err: ErrTaskCPU},
		{in: "2147483648", err: ErrTaskCPU},
		{in: "99999999999999999999", err: ErrTaskCPU},
		{in: "9999999 vcpu", err: ErrTaskCPU},
	} {
		got, err := NormalizeTaskCPU(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("NormalizeTaskCPU(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestNormalizeTaskMemory(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{in: "", want: ""},
		{in: "512", want: "512"},
		{in: "2048", want: "2048"},
		{in: "1 GB", want: "1024"},
		{in: "1GB", want: "1024"},
		{in: "1 gb", want: "1024"},
		{in: "2 gb", want: "2048"},
		{in: ".5 gb", want: "512"},
		{in: "0.5 GB", want: "512"},
		{in: "0.5GB", want: "512"},
		{in: "1.5 Gb", want: "1536"},
		{in: "120 GB", want: "122880"},
		{in: "0.3 gb", want: "307"}, // 307.2
		{in: "lots", err: ErrTaskMemory},
		{in: "512 MiB", err: ErrTaskMemory},
		{in: "512MB", err: ErrTaskMemory},
		{in: "1 GiB", err: ErrTaskMemory},
		{in: "1 G", err: ErrTaskMemory},
		{in: "gb", err: ErrTaskMemory},
		{in: "1.5", err: ErrTaskMemory},
		{in: " 512", err: ErrTaskMemory},
		{in: "1 vcpu", err: ErrTaskMemory},
		{in: "3000000 GB", err: ErrTaskMemory},
	} {
		got, err := NormalizeTaskMemory(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("NormalizeTaskMemory(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// The messages are ECS's ClientException messages, word for word (the cpu
// one is quoted by ECS's troubleshooting guide; the memory one is worded
// the same way).
func TestTaskSizeMessages(t *testing.T) {
	if _, err := NormalizeTaskCPU("1 cpu"); err == nil || err.Error() != "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide." {
		t.Errorf("cpu: %v", err)
	}
	if _, err := NormalizeTaskMemory("1 MB"); err == nil || err.Error() != "Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide." {
		t.Errorf("memory: %v", err)
	}
}

// Normalising is idempotent: normalise(normalise(x)) == normalise(x), an
// integer string, over generated values of every form, valid or not.
func TestNormalizeTaskSizeIdempotent(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2026))
	pieces := []string{"", "0", "1", "2", "5", "25", "125", "1024", ".", ".", " ", " ", "  ", "vcpu", "vCPU", "VCPU", "gb", "GB", "Gb", "-", "e", "\t", "x"}
	for _, norm := range []struct {
		name string
		f    func(string) (string, error)
	}{{"cpu", NormalizeTaskCPU}, {"memory", NormalizeTaskMemory}} {
		accepted := 0
		for range 20000 {
			var sb strings.Builder
			for range 1 + rng.IntN(5) {
				sb.WriteString(pieces[rng.IntN(len(pieces))])
			}
			in := sb.String()
			once, err := norm.f(in)
			if err != nil {
				if once != "" {
					t.Fatalf("%s(%q) = %q with error %v; want \"\"", norm.name, in, once, err)
				}
				continue
			}
			accepted++
			twice, err := norm.f(once)
			if err != nil || twice != once {
				t.Fatalf("%s(%s(%q)) = %q, %v; want %q", norm.name, norm.name, in, twice, err, once)
			}
			if strings.Trim(once, "0123456789") != "" {
				t.Fatalf("%s(%q) = %q; want an integer string", norm.name, in, once)
			}
		}
		if accepted < 100 {
			t.Errorf("%s: only %d of the generated values accepted; the generator no longer tests much", norm.name, accepted)
		}
	}
}

// FuzzNormalizeTaskSize: for any input, normalising never panics, and
// normalising a result again gives it back.
func FuzzNormalizeTaskSize(f *testing.F) {
	for _, s := range []string{"1024", ".25 vcpu", "0.5 GB", "1vcpu", "2 gb", "lots", "1.", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, norm := range []func(string) (string, error){NormalizeTaskCPU, NormalizeTaskMemory} {
			once, err := norm(in)
			if err != nil {
				continue
			}
			if twice, err := norm(once); err != nil || twice != once {
				t.Fatalf("normalise(normalise(%q)) = %q, %v; want %q", in, twice, err, once)
			}
		}
	})
}

// The CEL rules of TaskDefinitionSpec admit exactly the forms the
// normaliser reads: they use the same regular expressions.
func TestTaskSizePatternsMatchCEL(t *testing.T) {
	raw, err := os.ReadFile("../../api/v1alpha1/taskdefinition_types.go")
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	for field, want := range map[string]string{"cpu": TaskCPUPattern, "memory": TaskMemoryPattern} {
		rule := "self." + field + ".matches('" + want + "')"
		if n := strings.Count(src, rule); n < 2 {
			t.Errorf("the CEL rules use %s %d times; want the form rule and the Fargate rules to (%q)", rule, n, want)
		}
	}
	for _, msg := range []string{ErrTaskCPUMessage + " " + TaskCPUHint, ErrTaskMemoryMessage + " " + TaskMemoryHint} {
		if !strings.Contains(src, strings.ReplaceAll(msg, `"`, `\"`)) {
			t.Errorf("no CEL rule has the message %q", msg)
		}
	}
}
