// Log in with a bearer token or a user and password; the credential is checked against the API
// before the console opens.
import { useState } from 'preact/hooks';
import type { Session } from '../api.js';
import { ErrorMessage } from '../components.js';
import { basicSession, tokenSession, verifySession } from '../session.js';

export function LoginPage({ onLogin, problem }: { onLogin: (s: Session) => void; problem?: string }) {
  const [error, setError] = useState<string | undefined>(problem);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');

  const attempt = (session: Session) => {
    setBusy(true);
    setError(undefined);
    verifySession(session).then(onLogin, (err: Error) => {
      setBusy(false);
      setError(err.message);
    });
  };

  return (
    <main class="login">
      <h1>drover</h1>
      {error || problem ? <ErrorMessage message={error ?? problem} /> : null}
      <form
        aria-label="log in with a token"
        onSubmit={(e) => {
          e.preventDefault();
          attempt(tokenSession(token));
        }}
      >
        <label>
          Token
          <input name="token" type="password" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} required />
        </label>
        <button type="submit" disabled={busy}>
          Log in with token
        </button>
      </form>
      <form
        aria-label="log in with a user name and password"
        onSubmit={(e) => {
          e.preventDefault();
          attempt(basicSession(user, password));
        }}
      >
        <label>
          User
          <input name="user" autoComplete="username" value={user} onInput={(e) => setUser(e.currentTarget.value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </label>
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      <p class="muted">
        <code>drover dev</code> prints a one-time login link; its administrator token is in <code>drover-data/server/admin.token</code>.
      </p>
    </main>
  );
}
