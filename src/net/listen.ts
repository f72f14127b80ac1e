// `--listen host:port` as the server and the agent both take it.

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be host:port (e.g. 127.0.0.1:8080), got "${listen}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen port must be 0–65535, got ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
