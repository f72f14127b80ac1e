// One request from the server to a machine's agent (over the agent TLS of agent-tls.ts), with a
// deadline for the answer to start: a silent agent fails the call with Unavailable instead of
// holding it. The answer's body may then stream for as long as the caller reads.
import { ApiError, Unavailable } from '../errors.js';
import { agentDispatcher, type AgentPki } from './agent-tls.js';

export interface AgentAnswer {
  response: Response;
  /** Ends the request (and its connection) early. */
  abort(): void;
}

export async function fetchFromAgent(pki: AgentPki | undefined, machine: string, endpoint: string, path: string, answerMs: number): Promise<AgentAnswer> {
  const dispatcher = await agentDispatcher(pki, machine, endpoint);
  const abort = new AbortController();
  const silent = setTimeout(() => abort.abort(new Error(`no answer in ${answerMs / 1000}s`)), answerMs);
  let response: Response;
  try {
    response = await fetch(endpoint + path, { signal: abort.signal, dispatcher } as RequestInit);
  } catch (err) {
    void dispatcher.close();
    const why = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : ((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message);
    throw new Unavailable(`cannot reach the agent of machine ${machine}: ${why}`);
  } finally {
    clearTimeout(silent);
  }
  const end = () => {
    abort.abort();
    void dispatcher.close();
  };
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    end();
    let message = text;
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // not the agent's error envelope
    }
    throw new ApiError(response.status === 404 ? 'NotFound' : response.status === 400 ? 'BadRequest' : 'Unavailable', `the agent of machine ${machine} answered: ${message}`);
  }
  return { response, abort: end };
}
