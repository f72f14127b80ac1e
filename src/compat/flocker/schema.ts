// The request bodies Flocker's API accepts: its JSON Schemas (draft 4) for the input of each
// route, restated here from flocker/control/schema/{types,endpoints}.yml. Only the input side is
// needed: answers are built by this façade and shaped by its tests. `$ref`s name entries of
// DEFINITIONS ("#name").

export type JsonSchema = { [keyword: string]: unknown };

const uuid: JsonSchema = {
  type: 'string',
  minLength: 36,
  maxLength: 36,
  // Version 4, as RFC 4122 defines it: Flocker demands it of dataset ids and node uuids alike.
  pattern: '^[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-4[A-Fa-f0-9]{3}-[89abAB][A-Fa-f0-9]{3}-[A-Fa-f0-9]{12}$',
};
const port = { type: 'integer', minimum: 1, maximum: 65535 };

export const DEFINITIONS: Record<string, JsonSchema> = {
  uuid,
  dataset_id: { type: 'string', allOf: [{ $ref: '#uuid' }] },
  node_uuid: { type: 'string', allOf: [{ $ref: '#uuid' }] },
  primary: { type: 'string', allOf: [{ $ref: '#uuid' }] },
  deleted: { type: 'boolean' },
  metadata: {
    type: 'object',
    patternProperties: { '^.{1,256}$': { type: 'string', maxLength: 256 } },
    maxProperties: 16,
    additionalProperties: false,
  },
  maximum_size: { type: ['integer', 'null'], minimum: 67108864, multipleOf: 1024 },
  dataset_configuration: {
    type: 'object',
    properties: {
      primary: { $ref: '#primary' },
      dataset_id: { $ref: '#dataset_id' },
      deleted: { $ref: '#deleted' },
      metadata: { $ref: '#metadata' },
      maximum_size: { $ref: '#maximum_size' },
    },
    additionalProperties: false,
  },
  lease: {
    type: 'object',
    properties: {
      dataset_id: { type: 'string', minLength: 36, maxLength: 36 },
      node_uuid: { $ref: '#node_uuid' },
      expires: { type: ['number', 'null'] },
    },
    required: ['dataset_id', 'node_uuid', 'expires'],
    additionalProperties: false,
  },
  restart_policy: {
    type: 'object',
    oneOf: [
      {
        additionalProperties: false,
        properties: { maximum_retry_count: { minimum: 1, type: 'integer' }, name: { enum: ['on-failure'], type: 'string' } },
        type: 'object',
        required: ['name'],
      },
      { additionalProperties: false, properties: { name: { enum: ['never', 'always'], type: 'string' } }, type: 'object', required: ['name'] },
    ],
  },
  container: {
    type: 'object',
    properties: {
      node_uuid: { $ref: '#node_uuid' },
      name: { type: 'string', pattern: '^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$' },
      image: { type: 'string' },
      ports: {
        type: 'array',
        minItems: 1,
        items: { type: 'object', additionalProperties: false, properties: { internal: { type: 'integer' }, external: { type: 'integer' } } },
        uniqueItems: true,
      },
      environment: { type: 'object', patternProperties: { '^.+$': { type: 'string' } }, additionalProperties: false },
      restart_policy: { $ref: '#restart_policy' },
      command_line: { type: 'array', maxItems: 4096, items: { type: 'string', maxLength: 4096 } },
      swappiness: { type: 'integer', minimum: 0, maximum: 100 },
      volumes: {
        type: 'array',
        items: {
          type: 'object',
          properties: { dataset_id: { $ref: '#dataset_id' }, mountpoint: { type: 'string', pattern: '^\\/.*$' } },
          required: ['dataset_id', 'mountpoint'],
          additionalProperties: false,
        },
        minItems: 0,
        maxItems: 1,
      },
      cpu_shares: { type: 'integer', minimum: 1, maximum: 1024 },
      memory_limit: { type: 'integer', minimum: 1048576 },
      links: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['alias', 'local_port', 'remote_port'],
          additionalProperties: false,
          properties: { local_port: port, remote_port: port, alias: { type: 'string', pattern: '^[a-zA-Z0-9]+$' } },
        },
        uniqueItems: true,
      },
    },
    required: ['node_uuid', 'name', 'image'],
    additionalProperties: false,
  },
};

/** The input schema of each route that reads a body (httpapi.py's `inputSchema`s). */
export const INPUT = {
  createDataset: { type: 'object', properties: {}, allOf: [{ $ref: '#dataset_configuration' }, { required: ['primary'] }] },
  updateDataset: { type: 'object', properties: { primary: { $ref: '#primary' } }, additionalProperties: false },
  createContainer: { $ref: '#container' },
  moveContainer: { type: 'object', properties: { node_uuid: { $ref: '#node_uuid' } }, required: ['node_uuid'], additionalProperties: false },
  compose: {
    type: 'object',
    properties: { applications: { type: 'object' }, deployment: { type: 'object' } },
    required: ['applications', 'deployment'],
    additionalProperties: false,
  },
  lease: { $ref: '#lease' },
} satisfies Record<string, JsonSchema>;
