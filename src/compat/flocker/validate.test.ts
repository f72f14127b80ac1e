// Flocker's schema messages, as Python 2's jsonschema words them: a table of bodies and the
// errors Flocker answers them with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INPUT } from './schema.js';
import { py, schemaErrors } from './validate.js';

const V4 = '^[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-4[A-Fa-f0-9]{3}-[89abAB][A-Fa-f0-9]{3}-[A-Fa-f0-9]{12}$';
const NODE = '01234567-89ab-4def-8123-456789abcdef';

describe('Flocker schema messages', () => {
  const cases: [string, object, unknown, string[]][] = [
    ['a valid create', INPUT.createDataset, { primary: NODE, metadata: { name: 'x' }, maximum_size: null, deleted: false }, []],
    // Twice, as jsonschema says it: the create schema's own type, and that of the one it refers to.
    ['a body that is no object', INPUT.createDataset, [1], ["[1] is not of type 'object'", "[1] is not of type 'object'"]],
    ['two unknown properties', INPUT.updateDataset, { a: 1, b: 2 }, ["Additional properties are not allowed (u'a', u'b' were unexpected)"]],
    ['a short primary', INPUT.updateDataset, { primary: 'abc' }, ["u'abc' is too short", `u'abc' does not match '${V4}'`]],
    ['a numeric primary', INPUT.updateDataset, { primary: 7 }, ["7 is not of type 'string'", "7 is not of type 'string'"]],
    ['a metadata key over 256 characters', INPUT.createDataset, { primary: NODE, metadata: { ['k'.repeat(257)]: 'v' } }, [`u'${'k'.repeat(257)}' does not match any of the regexes: '^.{1,256}$'`]],
    ['a restart policy of no known name', INPUT.createContainer, { node_uuid: NODE, name: 'ab', image: 'x', restart_policy: { name: 'sometimes' } }, ["{u'name': u'sometimes'} is not valid under any of the given schemas"]],
    ['duplicate ports', INPUT.createContainer, { node_uuid: NODE, name: 'ab', image: 'x', ports: [{ internal: 1, external: 2 }, { external: 2, internal: 1 }] }, ["[{u'internal': 1, u'external': 2}, {u'external': 2, u'internal': 1}] has non-unique elements"]],
    ['two volumes', INPUT.createContainer, { node_uuid: NODE, name: 'ab', image: 'x', volumes: [{ dataset_id: NODE, mountpoint: '/a' }, { dataset_id: NODE, mountpoint: '/b' }] }, [`[{u'dataset_id': u'${NODE}', u'mountpoint': u'/a'}, {u'dataset_id': u'${NODE}', u'mountpoint': u'/b'}] is too long`]],
    ['a lease without its fields', INPUT.lease, {}, ["'dataset_id' is a required property", "'node_uuid' is a required property", "'expires' is a required property"]],
    ['swappiness over 100', INPUT.createContainer, { node_uuid: NODE, name: 'ab', image: 'x', swappiness: 101 }, ['101 is greater than the maximum of 100']],
  ];
  for (const [what, schema, body, errors] of cases) {
    it(what, () => assert.deepEqual(schemaErrors(body, schema as Record<string, unknown>), errors));
  }

  it('writes strings as Python 2 unicode reprs', () => {
    assert.equal(py("it's"), 'u"it\'s"');
    assert.equal(py('a\nb\\'), "u'a\\nb\\\\'");
    assert.equal(py('é☃'), "u'\\xe9\\u2603'");
    assert.equal(py([true, null, 1.5]), '[True, None, 1.5]');
  });
});
