import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';

/**
 * The Kubernetes API's own schemas, offline: kubernetes-models (pinned in pnpm-workspace.yaml's
 * catalog) generates one class per kind from the API's OpenAPI document, and `validate()` checks
 * an object against that kind's JSON schema (required fields, types, enums, formats). Its schemas
 * allow unknown fields; the generator's objects are typed with the same package's interfaces, so
 * a misspelled field does not compile.
 */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'batch/v1/Job': Job,
};

/** The schema errors of one parsed manifest (one line); empty when it is valid. */
export function kubernetesSchemaErrors(object: object): string[] {
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  const key = `${String(apiVersion)}/${String(kind)}`;
  const Model = MODELS[key];
  if (!Model) return [`no schema for ${key}`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (e) {
    return [`${key}: ${(e as Error).message}`];
  }
}
