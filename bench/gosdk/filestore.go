package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// jsonString quotes s as JSON.stringify does: Go's encoder would also escape <, > and & (the
// script has ">&2"), which changes the hash.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// The filestore Job spec as JSON.stringify writes it in src/builders/filestore.ts (its key order),
// around the three per-tenant values. Written once: only the tenant's strings change per call.
var (
	fsScriptJSON = jsonString(filestoreScript)
	fsImageJSON  = jsonString(filestoreJobImage)
)

// filestoreHash: 8 hex digits of sha256 of JSON.stringify([namespace, subdomain, spec]), the
// Job's identity in its name (a changed spec makes a new Job: a Job's pod template is immutable).
func filestoreHash(t *Tenant) string {
	sub, db, claim := jsonString(t.subdomain), jsonString(t.database), jsonString(t.claim)
	var b strings.Builder
	b.Grow(1800)
	b.WriteString(`[` + jsonString(jobNamespace) + `,` + sub + `,{"backoffLimit":4,"activeDeadlineSeconds":600,"template":{"metadata":{"labels":{`)
	b.WriteString(`"app.kubernetes.io/name":"plana-tenant","app.kubernetes.io/instance":` + sub + `,"app.kubernetes.io/component":"filestore",`)
	b.WriteString(`"app.kubernetes.io/managed-by":"function-plana-tenant","planapulse.com/tenant":` + sub + `}},`)
	b.WriteString(`"spec":{"restartPolicy":"Never","automountServiceAccountToken":false,"enableServiceLinks":false,`)
	b.WriteString(`"securityContext":{"runAsNonRoot":true,"runAsUser":101,"runAsGroup":101,"seccompProfile":{"type":"RuntimeDefault"}},`)
	b.WriteString(`"containers":[{"name":"mkdir","image":` + fsImageJSON + `,"imagePullPolicy":"IfNotPresent","command":["/bin/sh","-c",` + fsScriptJSON + `],`)
	b.WriteString(`"env":[{"name":"FILESTORE_ROOT","value":"/filestore"},{"name":"DATABASE","value":` + db + `},{"name":"DIR_MODE","value":"0750"},{"name":"ODOO_UID","value":"101"}],`)
	b.WriteString(`"resources":{"requests":{"cpu":"10m","memory":"16Mi"},"limits":{"cpu":"100m","memory":"64Mi"}},`)
	b.WriteString(`"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"privileged":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true},`)
	b.WriteString(`"volumeMounts":[{"name":"filestore","mountPath":"/filestore"}]}],`)
	b.WriteString(`"volumes":[{"name":"filestore","persistentVolumeClaim":{"claimName":` + claim + `}}]}}}]`)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:4])
}

// buildFilestoreJob: the Job that creates the tenant's directory on the version's filestore.
func buildFilestoreJob(t *Tenant) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "filestore-" + t.subdomain + "-" + filestoreHash(t), Namespace: jobNamespace, Labels: tenantLabels(t, "filestore")},
		Spec: batchv1.JobSpec{
			BackoffLimit:          ptr.To[int32](filestoreBackoff),
			ActiveDeadlineSeconds: ptr.To[int64](filestoreDeadline),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels(t, "filestore")},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: ptr.To(false),
					EnableServiceLinks:           ptr.To(false),
					SecurityContext:              podSecurity(),
					Containers: []corev1.Container{{
						Name:            "mkdir",
						Image:           filestoreJobImage,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Command:         []string{"/bin/sh", "-c", filestoreScript},
						Env: []corev1.EnvVar{
							envVar("FILESTORE_ROOT", "/filestore"),
							envVar("DATABASE", t.database),
							envVar("DIR_MODE", filestoreDirMode),
							envVar("ODOO_UID", itoa(odooUID)),
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: q10m, corev1.ResourceMemory: q16Mi},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: q100m, corev1.ResourceMemory: q64Mi},
						},
						SecurityContext: containerSecurity(),
						VolumeMounts:    []corev1.VolumeMount{{Name: "filestore", MountPath: "/filestore"}},
					}},
					Volumes: []corev1.Volume{{Name: "filestore", VolumeSource: corev1.VolumeSource{
						PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: t.claim},
					}}},
				},
			},
		},
	}
}
