// Machines are named by their 32-hex machine ID; like fleetctl, the CLI accepts any unique
// prefix of it (the 8-character short ID tables show).
import type { Client } from '../client/client.js';

export async function resolveMachineName(client: Client, arg: string): Promise<string> {
  if (await client.machines.find(arg)) return arg;
  const matches = (await client.machines.listAll()).items.filter((m) => m.metadata.name.startsWith(arg) || m.status?.hostname === arg);
  if (matches.length === 1) return matches[0]!.metadata.name;
  if (matches.length > 1) throw new Error(`machine "${arg}" is ambiguous: it matches ${matches.map((m) => m.metadata.name).join(', ')}; give more of the ID`);
  throw new Error(`machine "${arg}" not found`);
}
