// /discovery: a Google API discovery document for the fleet façade, written for drover. The
// resource, method and schema names are fleet's (Machines.List, Units.Set, UnitState.List, …),
// so client bindings generated from fleet's own document and from this one agree. As fleet's,
// the rootUrl is a placeholder: clients set their endpoint.
const page = (items: string, ref: string) => ({
  id: `${ref}Page`,
  type: 'object',
  properties: { [items]: { type: 'array', items: { $ref: ref } }, nextPageToken: { type: 'string' } },
});
const state = { type: 'string', enum: ['inactive', 'loaded', 'launched'] };
const pageParam = { nextPageToken: { type: 'string', location: 'query', description: 'token of the page to read, from the previous page' } };
const unitName = { unitName: { type: 'string', location: 'path', required: true, description: 'unit name, e.g. web.service or web@1.service' } };

export const discoveryDocument = {
  kind: 'discovery#restDescription',
  discoveryVersion: 'v1',
  id: 'fleet:v1',
  name: 'schema',
  version: 'v1',
  title: 'fleet API (served by drover)',
  description: 'The fleet v1 API as a façade over a drover cluster: units are drover Services, unit states are Task reports, machines are drover Machines.',
  documentationLink: 'https://github.com/coreos/fleet/blob/master/Documentation/api-v1.md',
  protocol: 'rest',
  icons: { x16: '', x32: '' },
  labels: [],
  baseUrl: '$ENDPOINT/fleet/v1/',
  basePath: '/fleet/v1/',
  rootUrl: '$ENDPOINT/',
  servicePath: 'fleet/v1/',
  batchPath: 'batch',
  parameters: {},
  auth: {},
  schemas: {
    Machine: {
      id: 'Machine',
      type: 'object',
      properties: {
        id: { type: 'string', description: 'machine ID (the drover Machine name)' },
        primaryIP: { type: 'string' },
        metadata: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
      },
    },
    MachinePage: page('machines', 'Machine'),
    UnitOption: {
      id: 'UnitOption',
      type: 'object',
      properties: { section: { type: 'string' }, name: { type: 'string' }, value: { type: 'string' } },
    },
    Unit: {
      id: 'Unit',
      type: 'object',
      properties: {
        name: { type: 'string' },
        options: { type: 'array', items: { $ref: 'UnitOption' } },
        desiredState: state,
        currentState: state,
        machineID: { type: 'string', required: true },
      },
    },
    UnitPage: page('units', 'Unit'),
    UnitState: {
      id: 'UnitState',
      type: 'object',
      properties: {
        name: { type: 'string' },
        hash: { type: 'string', description: "SHA-1 of the unit file, as fleet computes it" },
        machineID: { type: 'string' },
        systemdLoadState: { type: 'string' },
        systemdActiveState: { type: 'string' },
        systemdSubState: { type: 'string' },
      },
    },
    UnitStatePage: page('states', 'UnitState'),
  },
  resources: {
    Machines: {
      methods: {
        List: { id: 'fleet.Machine.List', description: 'Retrieve a page of Machine objects.', httpMethod: 'GET', path: 'machines', parameters: pageParam, response: { $ref: 'MachinePage' } },
      },
    },
    Units: {
      methods: {
        List: { id: 'fleet.Unit.List', description: 'Retrieve a page of Unit objects.', httpMethod: 'GET', path: 'units', parameters: pageParam, response: { $ref: 'UnitPage' } },
        Get: { id: 'fleet.Unit.Get', description: 'Retrieve a single Unit object.', httpMethod: 'GET', path: 'units/{unitName}', parameters: unitName, parameterOrder: ['unitName'], response: { $ref: 'Unit' } },
        Delete: { id: 'fleet.Unit.Delete', description: 'Delete the referenced Unit object.', httpMethod: 'DELETE', path: 'units/{unitName}', parameters: unitName, parameterOrder: ['unitName'] },
        Set: { id: 'fleet.Unit.Set', description: 'Create or update a Unit.', httpMethod: 'PUT', path: 'units/{unitName}', parameters: unitName, parameterOrder: ['unitName'], request: { $ref: 'Unit' } },
      },
    },
    UnitState: {
      methods: {
        Get: { id: 'fleet.UnitState.Get', description: 'Retrieve the state of one unit.', httpMethod: 'GET', path: 'state/{unitName}', parameters: unitName, parameterOrder: ['unitName'], response: { $ref: 'UnitState' } },
        List: {
          id: 'fleet.UnitState.List',
          description: 'Retrieve a page of UnitState objects.',
          httpMethod: 'GET',
          path: 'state',
          parameters: {
            ...pageParam,
            unitName: { type: 'string', location: 'query', description: 'only states of this unit' },
            machineID: { type: 'string', location: 'query', description: 'only states reported by this machine' },
          },
          response: { $ref: 'UnitStatePage' },
        },
      },
    },
  },
};
