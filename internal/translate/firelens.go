package translate

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	ecsv1alpha1 "github.com/berth-dev/berth/api/v1alpha1"
	"github.com/berth-dev/berth/internal/names"
)

const (
	firelensVolume   = "berth-firelens-config"
	podLogsVolume    = "berth-pod-logs"
	podLogsPath      = "/var/log/pods"
	firelensPort     = "24224"
	fluentBitConfig  = "/fluent-bit/etc/fluent-bit.conf"
	fluentdConfig    = "/fluentd/etc/fluent.conf"
	firelensTagMatch = "-firelens-*"
)

// firelens is the task's FireLens setup: the router container and the
// containers whose logDriver is awsfirelens.
type firelens struct {
	router int
	apps   []int
}

// findFirelens finds the router (the container with a
// firelensConfiguration) and the containers that log to it. Logging to
// awsfirelens without a router is an error, as in ECS.
func (b *builder) findFirelens(defs []ecsv1alpha1.ContainerDefinition) *firelens {
	f := &firelens{router: -1}
	for i := range defs {
		if defs[i].FirelensConfiguration != nil && f.router < 0 {
			f.router = i
		}
		if lc := defs[i].LogConfiguration; lc != nil && lc.LogDriver == ecsv1alpha1.LogDriverAwsfirelens {
			f.apps = append(f.apps, i)
		}
	}
	switch {
	case f.router < 0 && len(f.apps) > 0:
		b.errs = append(b.errs, field.Invalid(containerPath(f.apps[0]).Child("logConfiguration", "logDriver"), "awsfirelens",
			"the awsfirelens log driver needs a container with a firelensConfiguration in the task definition"))
		return nil
	case f.router < 0:
		return nil
	}
	return f
}

// withRouterFirst makes every container that logs to FireLens depend on
// the router (START), as ECS starts the FireLens container first and stops
// it last.
func (f *firelens) withRouterFirst(defs []ecsv1alpha1.ContainerDefinition) []ecsv1alpha1.ContainerDefinition {
	if f == nil {
		return defs
	}
	res := make([]ecsv1alpha1.ContainerDefinition, len(defs))
	copy(res, defs)
	router := defs[f.router].Name
	for _, i := range f.apps {
		if i == f.router {
			continue
		}
		has := false
		for _, d := range res[i].DependsOn {
			has = has || d.ContainerName == router
		}
		if !has {
			res[i].DependsOn = append(append([]ecsv1alpha1.ContainerDependency(nil), res[i].DependsOn...),
				ecsv1alpha1.ContainerDependency{ContainerName: router, Condition: ecsv1alpha1.ContainerConditionStart})
		}
	}
	return res
}

// configure generates the router's configuration from the other
// containers' log options, as FireLens does, and gives the router what it
// needs to read their output: the pod's log directory on the node (the
// containers' output reaches the kubelet's log files, not a Docker log
// driver), and the pod's identity.
func (b *builder) configure(f *firelens, td *ecsv1alpha1.RegisterTaskDefinitionInput, ct *corev1ac.ContainerApplyConfiguration) {
	defs := td.ContainerDefinitions
	router := &defs[f.router]
	cfg := router.FirelensConfiguration
	p := containerPath(f.router).Child("firelensConfiguration")
	var conf, path string
	if cfg.Type == ecsv1alpha1.FirelensConfigurationTypeFluentd {
		conf, path = fluentdConf(defs, f, cfg.Options), fluentdConfig
	} else {
		conf, path = fluentBitConf(td.Family, defs, f, cfg.Options), fluentBitConfig
	}
	if cfg.Options["config-file-type"] == "s3" {
		b.note(p.Child("options").String(), Unsupported,
			"config-file-type s3: the configuration is not fetched from S3 (Berth reads no AWS resources); put it in the image and use config-file-type file")
	}
	b.annotations[ecsv1alpha1.AnnotationFirelensConfig] = conf
	b.spec.WithVolumes(
		corev1ac.Volume().WithName(firelensVolume).WithDownwardAPI(corev1ac.DownwardAPIVolumeSource().WithItems(
			corev1ac.DownwardAPIVolumeFile().WithPath("firelens.conf").WithFieldRef(
				corev1ac.ObjectFieldSelector().WithFieldPath("metadata.annotations['"+ecsv1alpha1.AnnotationFirelensConfig+"']")))),
		corev1ac.Volume().WithName(podLogsVolume).WithHostPath(corev1ac.HostPathVolumeSource().WithPath(podLogsPath).WithType(corev1.HostPathDirectory)),
	)
	ct.WithVolumeMounts(
		corev1ac.VolumeMount().WithName(firelensVolume).WithMountPath(path).WithSubPath("firelens.conf").WithReadOnly(true),
		corev1ac.VolumeMount().WithName(podLogsVolume).WithMountPath(podLogsPath).WithReadOnly(true),
	)
	for _, e := range []struct{ name, field string }{{"POD_NAME", "metadata.name"}, {"POD_NAMESPACE", "metadata.namespace"}, {"POD_UID", "metadata.uid"}} {
		ct.WithEnv(corev1ac.EnvVar().WithName(e.name).WithValueFrom(corev1ac.EnvVarSource().WithFieldRef(corev1ac.ObjectFieldSelector().WithFieldPath(e.field))))
	}
	b.note(p.String(), Approximated,
		"the FireLens container runs with a configuration generated from the other containers' awsfirelens options; it reads their output from the node's pod log files (a read-only hostPath "+podLogsPath+"), where ECS uses Docker's fluentd log driver, and also listens on 127.0.0.1:"+firelensPort+" (forward) for applications that send logs to it")
}

// logPath is where the kubelet writes a container's output, with the
// pod's identity read from the environment as Fluent Bit (${VAR}) or
// Fluentd (#{ENV['VAR']}) writes it.
func logPath(container string, env func(string) string) string {
	return podLogsPath + "/" + env("POD_NAMESPACE") + "_" + env("POD_NAME") + "_" + env("POD_UID") + "/" + container + "/*.log"
}

func fluentBitEnv(v string) string { return "${" + v + "}" }
func fluentdEnv(v string) string   { return "#{ENV['" + v + "']}" }

// confValue keeps a configuration value on one line.
func confValue(v string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(v) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func fluentBitConf(family string, defs []ecsv1alpha1.ContainerDefinition, f *firelens, options map[string]string) string {
	var s strings.Builder
	s.WriteString("# Generated by Berth from the task definition, as ECS FireLens generates it.\n")
	s.WriteString("[SERVICE]\n    Flush 1\n    Grace 30\n\n")
	fmt.Fprintf(&s, "[INPUT]\n    Name forward\n    Listen 127.0.0.1\n    Port %s\n\n", firelensPort)
	for _, i := range f.apps {
		name := names.Container(defs[i].Name)
		fmt.Fprintf(&s, "[INPUT]\n    Name tail\n    Tag %s-firelens-${POD_UID}\n    Path %s\n    multiline.parser cri\n    Refresh_Interval 1\n\n", name, logPath(name, fluentBitEnv))
	}
	if options["enable-ecs-log-metadata"] != "false" {
		fmt.Fprintf(&s, "[FILTER]\n    Name record_modifier\n    Match *\n    Record ecs_task_definition %s\n    Record pod_name ${POD_NAME}\n    Record pod_namespace ${POD_NAMESPACE}\n\n", confValue(family))
	}
	if options["config-file-type"] == "file" && options["config-file-value"] != "" {
		fmt.Fprintf(&s, "@INCLUDE %s\n\n", confValue(options["config-file-value"]))
	}
	for _, i := range f.apps {
		opts := defs[i].LogConfiguration.Options
		fmt.Fprintf(&s, "[OUTPUT]\n    Name %s\n    Match %s%s\n", confValue(opts["Name"]), names.Container(defs[i].Name), firelensTagMatch)
		for _, k := range sortedKeys(opts) {
			if k == "Name" || k == "Match" {
				continue
			}
			fmt.Fprintf(&s, "    %s %s\n", confValue(k), confValue(opts[k]))
		}
		s.WriteString("\n")
	}
	return s.String()
}

func fluentdConf(defs []ecsv1alpha1.ContainerDefinition, f *firelens, options map[string]string) string {
	var s strings.Builder
	s.WriteString("# Generated by Berth from the task definition, as ECS FireLens generates it.\n")
	fmt.Fprintf(&s, "<source>\n  @type forward\n  bind 127.0.0.1\n  port %s\n</source>\n\n", firelensPort)
	for _, i := range f.apps {
		name := names.Container(defs[i].Name)
		fmt.Fprintf(&s, "<source>\n  @type tail\n  tag %s-firelens-task\n  path %s\n  read_from_head true\n  <parse>\n    @type none\n  </parse>\n</source>\n\n", name, logPath(name, fluentdEnv))
	}
	if options["config-file-type"] == "file" && options["config-file-value"] != "" {
		fmt.Fprintf(&s, "@include %s\n\n", confValue(options["config-file-value"]))
	}
	for _, i := range f.apps {
		opts := defs[i].LogConfiguration.Options
		fmt.Fprintf(&s, "<match %s%s>\n  @type %s\n", names.Container(defs[i].Name), firelensTagMatch, confValue(opts["@type"]))
		for _, k := range sortedKeys(opts) {
			if k == "@type" {
				continue
			}
			fmt.Fprintf(&s, "  %s %s\n", confValue(k), confValue(opts[k]))
		}
		s.WriteString("</match>\n\n")
	}
	return s.String()
}
