// The small SQL surface the store needs, implemented over node-postgres and PGlite so that
// one SqlStore serves both backends.

export interface Queryable {
  /** One parameterised statement; values are always passed as $n parameters, never interpolated. */
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface SqlDatabase extends Queryable {
  /** Run fn inside BEGIN … COMMIT; any error rolls back and is rethrown. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
