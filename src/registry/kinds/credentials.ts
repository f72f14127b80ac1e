// Token and User: cluster-scoped kinds holding credential hashes. They are kept in the state like
// every kind (so every server of an etcd cluster sees a revoke at once, from its watch cache),
// but are not served by the generic resource routes: GET output there is the stored object, and
// a hash must never leave the server. api/credentials.ts serves their views instead.
import { Type, type Static } from '@sinclair/typebox';
import type { TokenSpec as TokenModel, UserSpec as UserModel } from '../../model/index.js';
import { defineKind, type Expect, type Same } from './kind.js';

const Groups = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 });

const TokenSpec = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 256 }),
    groups: Groups,
    expiresAt: Type.Optional(Type.String({ description: 'RFC 3339 time after which the token is refused' })),
    secretHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    purpose: Type.Optional(Type.Literal('join')),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const UserSpec = Type.Object(
  { groups: Groups, passwordHash: Type.String({ pattern: '^scrypt\\$' }) },
  { additionalProperties: false },
);

const NoStatus = Type.Object({}, { additionalProperties: false });

type _token = Expect<Same<Static<typeof TokenSpec>, TokenModel>>;
type _user = Expect<Same<Static<typeof UserSpec>, UserModel>>;

export const tokens = defineKind({
  kind: 'Token',
  plural: 'tokens',
  description: 'A bearer token (only its hash is stored); drover token create|list|revoke.',
  verbs: ['get', 'list', 'create', 'delete'],
  spec: TokenSpec,
  status: NoStatus,
});

export const users = defineKind({
  kind: 'User',
  plural: 'users',
  description: 'A user who logs in with HTTP basic authentication (only a salted scrypt hash is stored); drover user add|passwd|delete.',
  verbs: ['get', 'list', 'create', 'update', 'delete'],
  spec: UserSpec,
  status: NoStatus,
});
