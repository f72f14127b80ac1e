// Credentials the server keeps: bearer tokens and users with passwords. Only hashes are stored,
// and they never leave the server (the API shows TokenView/UserView).

export interface TokenSpec {
  /** The principal a request with this token is made by. */
  user: string;
  groups: string[];
  /** RFC 3339; absent: the token does not expire. */
  expiresAt?: string;
  /** sha256 (hex) of the token's secret part: the secret is 32 random bytes, so a fast hash is enough. */
  secretHash: string;
  /** "join": an agent's join token, good only for exchanging it for the agent's own identity. */
  purpose?: 'join';
  description?: string;
}

export interface UserSpec {
  groups: string[];
  /** scrypt$N$r$p$salt$hash (base64): a salted, deliberately slow hash. */
  passwordHash: string;
}

/** What the API shows of a token: never its hash. */
export interface TokenView {
  name: string;
  user: string;
  groups: string[];
  expiresAt?: string;
  purpose?: 'join';
  description?: string;
  createdAt: string;
}

/** What the API shows of a user: never its password hash. */
export interface UserView {
  name: string;
  groups: string[];
  createdAt: string;
  updatedAt: string;
}
