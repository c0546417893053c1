import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';

/**
 * The Compose Specification JSON schema, from the npm registry: dclint ships it as
 * `schemas/compose.schema.json`, a copy of `schema/compose-spec.json` of the compose-spec/compose-spec
 * repository (Apache-2.0) that its `update-compose-schema` script downloads. Only this file of
 * dclint is used. The version is pinned in pnpm-workspace.yaml's catalog.
 */
export const COMPOSE_SCHEMA_FILE = join(
  dirname(require.resolve('dclint/package.json')),
  'schemas',
  'compose.schema.json',
);

const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** The schema as data (its `$schema` is draft-07, spelled with https and no `#`). */
export function composeSchema(): Record<string, unknown> {
  return readJson(COMPOSE_SCHEMA_FILE);
}

let validate: (((doc: unknown) => boolean) & { errors?: ErrorObject[] | null }) | undefined;

/**
 * Validate a parsed compose.yaml against the Compose Specification with ajv (draft-07, strict
 * apart from strictTypes, which the upstream schema does not follow). Returns the errors, one
 * line each (`/services/x/ports/0 must be string`); empty when the document is valid.
 */
export function composeSchemaErrors(doc: unknown): string[] {
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
    // The schema names draft-07 as https://json-schema.org/draft-07/schema; ajv knows it as http://...#.
    const draft7 = readJson(require.resolve('ajv/dist/refs/json-schema-draft-07.json'));
    ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
    validate = ajv.compile(composeSchema());
  }
  if (validate(doc)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}
