{{/* <fullname>: the release name, or release-chart when the release name does not contain the chart's. */}}
{{- define "switchboard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The operator's name: Deployment, Service, ServiceAccount, RBAC and the webhook configuration. */}}
{{- define "switchboard.operator" -}}
{{- printf "%s-operator" (include "switchboard.fullname" .) -}}
{{- end -}}

{{- define "switchboard.serviceAccountName" -}}
{{- default (include "switchboard.operator" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Secret holding the CA and serving certificate (operator-managed or cert-manager's). */}}
{{- define "switchboard.certSecret" -}}
{{- printf "%s-tls" (include "switchboard.operator" .) -}}
{{- end -}}

{{- define "switchboard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "switchboard.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "switchboard.labels" -}}
{{ include "switchboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The sync channel's URL as sidecars dial it (through the Service, whose DNS name the certificate carries). */}}
{{- define "switchboard.operatorUrl" -}}
{{- printf "https://%s.%s.svc:%v" (include "switchboard.operator" .) .Release.Namespace .Values.operator.ports.sync -}}
{{- end -}}

{{/*
Cluster-scoped objects (ClusterRoles, their bindings, the webhook configuration) carry the release namespace too:
<fullname>-<namespace>, so two releases of one name in two namespaces do not collide.
*/}}
{{- define "switchboard.clusterScopedName" -}}
{{- printf "%s-%s" (include "switchboard.fullname" .) .Release.Namespace | trunc 54 | trimSuffix "-" -}}
{{- end -}}

{{/*
The audience of the tokens sidecars and relaying replicas present on the sync channel: the one audience the operator
accepts (SYNC_TOKEN_AUDIENCE in api/sync/sync-protocol.ts), so it is not a value.
*/}}
{{- define "switchboard.tokenAudience" -}}
switchboard
{{- end -}}

{{- define "switchboard.webhookConfig" -}}
{{- printf "%s-injector" (include "switchboard.clusterScopedName" .) -}}
{{- end -}}

{{/* The leader-election Lease, in the release namespace: one per release, so two releases never share a leader. */}}
{{- define "switchboard.leaseName" -}}
{{- include "switchboard.operator" . -}}
{{- end -}}
