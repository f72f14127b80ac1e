// Server addresses as operators write them: one URL or several separated by commas
// ("http://a:8080,http://b:8080"), for --server, DROVER_SERVER and contexts alike. The client tries
// them in turn when one cannot be reached.

/** Splits and checks a comma-separated list of http(s) server URLs; `from` names where it came from. */
export function parseServerUrls(text: string, from = '--server'): string[] {
  const urls = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new Error(`${from} is empty: give a server URL such as http://127.0.0.1:8080 (several separated by commas)`);
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new Error(`${from}: "${u}" is not a URL; expected http://host:port or https://host:port`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`${from}: "${u}" uses ${parsed.protocol.slice(0, -1)}; drover servers speak http:// or https://`);
    }
  }
  return urls.map((u) => u.replace(/\/+$/, ''));
}
