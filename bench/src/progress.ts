/**
 * Progress on stderr (stdout stays free for results): `say` prints one line
 * with the time since start; `ticker` repeats a status line while work runs.
 */
const started = Date.now();

export function say(message: string): void {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

/** Prints `status()` every `everyMs` until the returned function is called. */
export function ticker(status: () => string, everyMs = 2_000): () => void {
  const timer = setInterval(() => say('  ' + status()), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
