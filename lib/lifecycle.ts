/** What the server's lifecycle tells the rest of the graph: whether it is draining after SIGTERM. */
export interface Lifecycle {
  draining: boolean;
}
