package main

import (
	"fmt"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Parsed once: quantities are immutable values, copied into every object.
var (
	q100m  = resource.MustParse("100m")
	q256Mi = resource.MustParse("256Mi")
	q1     = resource.MustParse("1")
	q1Gi   = resource.MustParse("1Gi")
	qWork  = resource.MustParse(workVolumeSize)
	q10m   = resource.MustParse("10m")
	q16Mi  = resource.MustParse("16Mi")
	q64Mi  = resource.MustParse("64Mi")
)

func envVar(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

func secretEnv(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key,
	}}}
}

// podSecurity and containerSecurity: the restricted Pod Security Standard, as the Odoo user.
func podSecurity() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To[int64](odooUID),
		RunAsGroup:     ptr.To[int64](odooGID),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func containerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		Privileged:               ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		RunAsNonRoot:             ptr.To(true),
	}
}

// backupTime: the tenant's second of the window from its projectId (src/schedule.ts): a
// bijection on every run of window-length consecutive ids, so no second gets crowded.
type backupSlot struct {
	minute, hour, second int64
	cron, start          string
}

var windowStep = spreadStep(windowMinutes * 60)

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func spreadStep(seconds int64) int64 {
	if seconds <= 2 {
		return 1
	}
	ideal := int64(float64(seconds)*0.6180339887498949 + 0.5)
	for d := int64(0); d < seconds; d++ {
		for _, c := range []int64{ideal - d, ideal + d} {
			if c >= 1 && c < seconds && gcd(c, seconds) == 1 {
				return c
			}
		}
	}
	return 1
}

func backupTime(projectID int64) backupSlot {
	seconds := int64(windowMinutes * 60)
	// projectId ≤ 2^53 and step < 86,400: the product can overflow int64, so reduce first.
	offset := (projectID % seconds) * windowStep % seconds
	minuteOfDay := (windowStartHour*60 + offset/60) % 1440
	s := backupSlot{hour: minuteOfDay / 60, minute: minuteOfDay % 60, second: offset % 60}
	s.cron = fmt.Sprintf("%d %d * * *", s.minute, s.hour)
	s.start = fmt.Sprintf("%02d:%02d:%02d", s.hour, s.minute, s.second)
	return s
}

func backupLocation(t *Tenant) string { return "s3://" + backupBucket + "/" + t.subdomain + "/" }

// buildBackup: the daily backup CronJob, four steps in one pod (src/builders/backup.ts).
func buildBackup(t *Tenant) *batchv1.CronJob {
	labels := tenantLabels(t, "backup")
	slot := backupTime(t.projectID)
	res := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: q100m, corev1.ResourceMemory: q256Mi, corev1.ResourceEphemeralStorage: qWork},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: q1, corev1.ResourceMemory: q1Gi, corev1.ResourceEphemeralStorage: qWork},
	}
	work := corev1.VolumeMount{Name: "work", MountPath: "/work"}
	step := func(name, script string, env []corev1.EnvVar, mounts ...corev1.VolumeMount) corev1.Container {
		return corev1.Container{
			Name:            name,
			Image:           backupImage,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         []string{"/bin/bash", "-c", script},
			Env:             env,
			Resources:       res,
			SecurityContext: containerSecurity(),
			VolumeMounts:    mounts,
		}
	}
	encryption := func() []corev1.EnvVar {
		return []corev1.EnvVar{
			envVar("ENCRYPTION", "age"),
			{Name: "AGE_RECIPIENTS", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "backup-age-recipients"}, Key: "recipients",
			}}},
		}
	}
	start := step("start", startScript, []corev1.EnvVar{envVar("START_SECOND", itoa(slot.second))}, work)
	dump := step("dump", dumpScript, append([]corev1.EnvVar{
		envVar("PGHOST", databaseHost),
		envVar("PGPORT", databasePort),
		secretEnv("PGUSER", "pg01-backup", "username"),
		secretEnv("PGPASSWORD", "pg01-backup", "password"),
		envVar("PGDATABASE", t.database),
		envVar("PGCONNECT_TIMEOUT", "30"),
	}, encryption()...), work)
	archive := step("filestore", archiveScript, append([]corev1.EnvVar{
		envVar("FILESTORE_ROOT", "/filestore"),
		envVar("DATABASE", t.database),
	}, encryption()...), work, corev1.VolumeMount{Name: "filestore", MountPath: "/filestore", ReadOnly: true})
	upload := step("upload", uploadScript, []corev1.EnvVar{
		envVar("ENCRYPTION", "age"),
		envVar("BUCKET", backupBucket),
		envVar("PREFIX", t.subdomain+"/"),
		envVar("HOME", "/work"),
		envVar("RCLONE_CONFIG", "/dev/null"),
		envVar("RCLONE_CONFIG_SOS_TYPE", "s3"),
		envVar("RCLONE_CONFIG_SOS_PROVIDER", "Other"),
		envVar("RCLONE_CONFIG_SOS_ENDPOINT", backupEndpoint),
		envVar("RCLONE_CONFIG_SOS_REGION", backupRegion),
		secretEnv("RCLONE_CONFIG_SOS_ACCESS_KEY_ID", "sos-backup", "access-key-id"),
		secretEnv("RCLONE_CONFIG_SOS_SECRET_ACCESS_KEY", "sos-backup", "secret-access-key"),
	}, work)

	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "backup-" + t.subdomain, Namespace: backupNamespace, Labels: labels},
		Spec: batchv1.CronJobSpec{
			Schedule:                   slot.cron,
			TimeZone:                   ptr.To(backupTimeZone),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			StartingDeadlineSeconds:    ptr.To[int64](backupStartingSecs),
			SuccessfulJobsHistoryLimit: ptr.To[int32](backupHistory),
			FailedJobsHistoryLimit:     ptr.To[int32](backupHistory),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: batchv1.JobSpec{
					BackoffLimit:          ptr.To[int32](backupBackoff),
					ActiveDeadlineSeconds: ptr.To[int64](backupDeadline),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: labels},
						Spec: corev1.PodSpec{
							RestartPolicy:                corev1.RestartPolicyNever,
							AutomountServiceAccountToken: ptr.To(false),
							EnableServiceLinks:           ptr.To(false),
							SecurityContext:              podSecurity(),
							InitContainers:               []corev1.Container{start, dump, archive},
							Containers:                   []corev1.Container{upload},
							Volumes: []corev1.Volume{
								{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &qWork}}},
								{Name: "filestore", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: t.claim, ReadOnly: true}}},
							},
						},
					},
				},
			},
		},
	}
	// Only a suspended schedule says so: an absent field is not a server-side-apply claim.
	if t.suspended {
		cj.Spec.Suspend = ptr.To(true)
	}
	return cj
}
