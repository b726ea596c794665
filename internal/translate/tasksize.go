package translate

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Task-level cpu and memory are strings in RegisterTaskDefinition. ECS
// accepts cpu as CPU units ("1024") or vCPUs ("1 vCPU", "1 vcpu", ".25 vCPU",
// "1vcpu") and memory as MiB ("512") or GB ("1 GB", "1GB", ".5 gb"), the unit
// in any case, and converts them to the integer strings that
// DescribeTaskDefinition returns ("1024", "512") when it registers the task
// definition (ECS API reference, RegisterTaskDefinition cpu and memory; ECS
// developer guide, "Troubleshoot Amazon ECS task definition invalid CPU or
// memory errors"). NormalizeTaskCPU and NormalizeTaskMemory are that
// conversion, the only one in Berth: the translation, the revision status and
// the ECS API endpoint all use it. The stored spec keeps what the user wrote.
//
// Berth's reading of what ECS leaves undocumented (docs/containers.md):
// spaces (any number, none included) may separate the number from the unit,
// as cfn-lint's ECS rule allows; nothing may precede or follow; a fraction of
// a unit left by the conversion is dropped ("0.1 vcpu" is 102 CPU units), as
// the CEL admission rules' int(double) does, so that both agree.
const (
	// TaskCPUPattern is the form of a task-level cpu. The CEL rules on
	// TaskDefinitionSpec use the same expression (a test checks it).
	TaskCPUPattern = `^[0-9]+$|^([0-9]+|[0-9]*[.][0-9]+) *[vV][cC][pP][uU]$`
	// TaskMemoryPattern is the form of a task-level memory.
	TaskMemoryPattern = `^[0-9]+$|^([0-9]+|[0-9]*[.][0-9]+) *[gG][bB]$`

	// ErrTaskCPUMessage is ECS's ClientException message for a cpu it
	// cannot read.
	ErrTaskCPUMessage = "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	// ErrTaskMemoryMessage is the same for memory.
	ErrTaskMemoryMessage = "Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."

	// TaskCPUHint and TaskMemoryHint follow ECS's message where Berth
	// words it (the CEL rules, the revision's Stalled message).
	TaskCPUHint    = `Use CPU units ("1024") or vCPUs ("1 vCPU", ".25 vcpu").`
	TaskMemoryHint = `Use MiB ("2048") or GB ("2 GB", ".5 gb").`

	// maxTaskSize bounds a converted value: int32, as every integer of the
	// ECS API is, so that no conversion overflows.
	maxTaskSize = math.MaxInt32
)

var (
	taskCPUForm    = regexp.MustCompile(TaskCPUPattern)
	taskMemoryForm = regexp.MustCompile(TaskMemoryPattern)

	// ErrTaskCPU is returned for a cpu that is not in a form ECS accepts.
	ErrTaskCPU = errors.New(ErrTaskCPUMessage) //nolint:staticcheck // ECS's message word for word, full stop included
	// ErrTaskMemory is returned for a memory that is not in a form ECS accepts.
	ErrTaskMemory = errors.New(ErrTaskMemoryMessage) //nolint:staticcheck // as ErrTaskCPU
)

// NormalizeTaskCPU is a task-level cpu as ECS registers it: CPU units as an
// integer string (".25 vcpu" → "256"); "" stays "" (no task cpu).
func NormalizeTaskCPU(s string) (string, error) {
	n, ok, err := TaskCPUUnits(s)
	if err != nil || !ok {
		return "", err
	}
	return strconv.FormatInt(n, 10), nil
}

// NormalizeTaskMemory is a task-level memory as ECS registers it: MiB as an
// integer string (".5 gb" → "512"); "" stays "" (no task memory).
func NormalizeTaskMemory(s string) (string, error) {
	n, ok, err := TaskMemoryMiB(s)
	if err != nil || !ok {
		return "", err
	}
	return strconv.FormatInt(n, 10), nil
}

// NormalizedTaskSize is a registered task definition's cpu and memory as
// DescribeTaskDefinition shows them. A value that cannot be read, which
// admission and registration refuse, is "".
func NormalizedTaskSize(cpu, memory string) (string, string) {
	c, _ := NormalizeTaskCPU(cpu)
	m, _ := NormalizeTaskMemory(memory)
	return c, m
}

// TaskCPUUnits parses a task-level cpu ("1024", "1 vCPU", ".25 vcpu") into
// CPU units; ok is false when it is absent.
func TaskCPUUnits(s string) (units int64, ok bool, err error) {
	return parseTaskSize(s, taskCPUForm, len("vcpu"), ErrTaskCPU)
}

// TaskMemoryMiB parses a task-level memory ("2048", "2 GB", ".5gb") into
// MiB; ok is false when it is absent.
func TaskMemoryMiB(s string) (mib int64, ok bool, err error) {
	return parseTaskSize(s, taskMemoryForm, len("gb"), ErrTaskMemory)
}

// parseTaskSize reads an integer, or a number of the form's unit (vCPU or
// GB, unitLen letters, each 1024 of the integer's unit).
func parseTaskSize(s string, form *regexp.Regexp, unitLen int, invalid error) (int64, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	if !form.MatchString(s) {
		return 0, true, invalid
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > maxTaskSize {
			return 0, true, invalid
		}
		return n, true, nil
	} else if strings.Trim(s, "0123456789") == "" {
		return 0, true, invalid // all digits, too many of them
	}
	// The number, without the unit and the spaces before it.
	f, err := strconv.ParseFloat(strings.TrimRight(s[:len(s)-unitLen], " "), 64)
	if err != nil {
		return 0, true, invalid
	}
	// As CEL's int(double(...) * 1024.0): the same float arithmetic, so
	// admission and translation agree on every value.
	v := f * 1024
	if v > maxTaskSize {
		return 0, true, invalid
	}
	return int64(v), true, nil
}
