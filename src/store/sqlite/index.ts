import { registerDriver } from '../registry.ts';
import { SqliteBackend } from './backend.ts';

export { SqliteBackend };

/** Opens (creating if needed) the SQLite store at `file`. */
export async function openSqliteBackend(file: string): Promise<SqliteBackend> {
  return new SqliteBackend(file);
}

// `sqlite:///var/lib/wharf/state.db` → `/var/lib/wharf/state.db`
registerDriver('sqlite', (location) => openSqliteBackend(location));
