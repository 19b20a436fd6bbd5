// Mutable per-thread server state read by every route: one object, plain fields.

export interface ServerState {
  /** Set on SIGTERM: answers carry Connection: close so clients move to another replica. */
  draining: boolean;
}
