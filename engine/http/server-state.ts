// Mutable per-server state read by every route: one object, plain fields.

export interface ServerState {
  /** Set on SIGTERM: answers carry Connection: close so clients move to another replica. */
  draining: boolean;
  /**
   * Requests accepted and not answered yet (writes waiting for the event log, a body still arriving).
   * Shutdown waits for this to reach 0 before it closes anything: a write made durable must get its
   * answer, or a client that retries would record it twice.
   */
  inFlight: number;
}

export const newServerState = (): ServerState => ({ draining: false, inFlight: 0 });
