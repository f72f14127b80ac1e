// The console's shell: login (or the one-time link), then the header with the connection state
// and the page the URL names.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, type Session } from './api.js';
import { ClusterContext, ClusterView, useCluster } from './cluster.js';
import { ConnectionBadge, ErrorMessage } from './components.js';
import { ClusterMapPage } from './pages/cluster-map.js';
import { EventsPage } from './pages/events.js';
import { KindListPage, KindObjectPage } from './pages/kinds.js';
import { LoginPage } from './pages/login.js';
import { MachinePage, MachinesPage } from './pages/machines.js';
import { NewServicePage } from './pages/new-service.js';
import { OverviewPage } from './pages/overview.js';
import { ServicePage } from './pages/service.js';
import { ServicesPage } from './pages/services.js';
import { TaskPage } from './pages/task.js';
import { OTHER_KINDS, useRoute, type OtherPlural, type Route } from './route.js';
import { exchangeLoginToken, savedSession, saveSession } from './session.js';

/** The one-time link `drover dev` prints: /ui/#login=<token>. */
function takeLoginLinkToken(): string | undefined {
  const m = /^#login=([^&]+)$/.exec(location.hash);
  if (!m) return undefined;
  // Out of the address bar and the history before anything else happens.
  history.replaceState(null, '', `${location.pathname}#/`);
  return decodeURIComponent(m[1]!);
}

export function App() {
  const [session, setSession] = useState<Session | undefined>(savedSession);
  const [linkToken] = useState(takeLoginLinkToken);
  const [problem, setProblem] = useState<string>();
  const [cluster, setCluster] = useState<ClusterView>();

  useEffect(() => {
    if (!linkToken) return;
    exchangeLoginToken(linkToken).then(login, (err: Error) => setProblem(`the login link did not work (${err.message}): it works once and for a few minutes; log in with a token instead`));
  }, [linkToken]);

  const login = (s: Session | undefined) => {
    saveSession(s);
    setSession(s);
  };

  useEffect(() => {
    if (!session) return;
    const api = new Api(session);
    let view: ClusterView | undefined;
    api.discover().then(
      (kinds) => {
        view = new ClusterView(api, kinds, () => login(undefined));
        setCluster(view);
      },
      (err: Error) => {
        setProblem(err.message);
        login(undefined);
      },
    );
    return () => {
      view?.close();
      setCluster(undefined);
    };
  }, [session]);

  if (!session) return <LoginPage onLogin={login} problem={problem} />;
  if (!cluster) return <main class="loading">connecting…</main>;
  return (
    <ClusterContext.Provider value={cluster}>
      <Shell user={session.label} onLogout={() => login(undefined)} />
    </ClusterContext.Provider>
  );
}

const OTHER_TITLES: Record<OtherPlural, string> = { datasets: 'Datasets', hosts: 'Hosts', clusters: 'Clusters', operations: 'Operations' };

/** The pages of the kinds beyond the first three: each only for a user who may list that kind. */
function OtherLinks({ route }: { route: Route }) {
  const cluster = useCluster();
  const current = (page: boolean) => (page ? 'page' : undefined);
  return (
    <>
      {cluster.can('machines', 'list') && cluster.can('tasks', 'list') ? (
        <a href="#/map" aria-current={current(route.page === 'map')}>
          Map
        </a>
      ) : null}
      {(Object.keys(OTHER_KINDS) as OtherPlural[])
        .filter((plural) => cluster.can(plural, 'list'))
        .map((plural) => (
          <a key={plural} href={`#/${plural}`} aria-current={current((route.page === 'kind' || route.page === 'object') && route.plural === plural)}>
            {OTHER_TITLES[plural]}
          </a>
        ))}
      {cluster.can('events', 'list') ? (
        <a href="#/events" aria-current={current(route.page === 'events')}>
          Events
        </a>
      ) : null}
    </>
  );
}

function Shell({ user, onLogout }: { user: string; onLogout: () => void }) {
  const route = useRoute();
  const page = useMemo(() => {
    switch (route.page) {
      case 'overview':
        return <OverviewPage />;
      case 'services':
        return <ServicesPage />;
      case 'newService':
        return <NewServicePage />;
      case 'service':
        return <ServicePage namespace={route.namespace} name={route.name} />;
      case 'task':
        return <TaskPage namespace={route.namespace} name={route.name} />;
      case 'machines':
        return <MachinesPage />;
      case 'machine':
        return <MachinePage name={route.name} />;
      case 'map':
        return <ClusterMapPage />;
      case 'events':
        return <EventsPage key={route.object} object={route.object} />;
      case 'kind':
        return <KindListPage plural={route.plural} />;
      case 'object':
        return <KindObjectPage plural={route.plural} namespace={route.namespace} name={route.name} />;
      default:
        return <ErrorMessage message={`no page at "${route.path}"`} />;
    }
  }, [route]);
  return (
    <>
      <a class="skip" href="#main">
        skip to content
      </a>
      <header>
        <strong class="brand">drover</strong>
        <nav aria-label="pages">
          <a href="#/" aria-current={route.page === 'overview' ? 'page' : undefined}>
            Overview
          </a>
          <a href="#/services" aria-current={route.page === 'services' || route.page === 'service' || route.page === 'newService' ? 'page' : undefined}>
            Services
          </a>
          <a href="#/machines" aria-current={route.page === 'machines' || route.page === 'machine' ? 'page' : undefined}>
            Machines
          </a>
          <OtherLinks route={route} />
        </nav>
        <ConnectionBadge />
        <span class="user" data-testid="user">
          {user}
        </span>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
