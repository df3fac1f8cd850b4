/** What the server's lifecycle tells the rest of the graph: whether it is draining after SIGTERM, or retiring (recycled, reloaded). */
export interface Lifecycle {
  draining: boolean;
  /** another worker has taken this one's place: requests still arriving here are served, with Connection: close */
  retiring?: boolean;
}
