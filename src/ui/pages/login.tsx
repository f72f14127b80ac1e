// Log in with a bearer token, a user and password, or the client certificate the browser
// presented (offered only when the server took one); the credential is checked against the API
// before the console opens.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../api.js';
import { ErrorMessage } from '../components.js';
import { basicSession, certificateSession, certificateUser, tokenSession, verifySession } from '../session.js';

export function LoginPage({ onLogin, problem }: { onLogin: (s: Session) => void; problem?: string }) {
  const [error, setError] = useState<string | undefined>(problem);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [certUser, setCertUser] = useState<string>();

  useEffect(() => {
    void certificateUser().then(setCertUser);
  }, []);

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
      {certUser ? (
        <form
          aria-label="log in with my client certificate"
          onSubmit={(e) => {
            e.preventDefault();
            attempt(certificateSession(certUser));
          }}
        >
          <p>
            Your browser presented a client certificate of this cluster, for <strong data-testid="certificate-user">{certUser}</strong>.
          </p>
          <button type="submit" disabled={busy}>
            Use my client certificate
          </button>
        </form>
      ) : null}
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
