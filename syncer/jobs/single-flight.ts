// One run at a time for a job: a call while a run is in progress gets that run's result instead of
// starting another (a slow pull meeting the next cron tick, a test calling run() beside the cron).

export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () =>
    (running ??= run().finally(() => {
      running = null;
    }));
}
