import type { CallStats } from '../load.js';
import type { Ctx } from './context.js';
import { QUICK } from './context.js';
import { flatteningNote, type ScalingResult } from './scaling.js';

/** The note for measured calls/s at 1, 2 and 4 workers. */
function note(rates: [number, number, number]): string {
  const ctx = { sizes: { ...QUICK, scalingWorkers: [1, 2, 4] } } as unknown as Ctx;
  const at = (callsPerSecond: number): { stack: ScalingResult } => ({ stack: { sessions: 50, calls: { callsPerSecond, cpuBusy: 0.97 } as CallStats } });
  return flatteningNote(ctx, { 1: at(rates[0]), 2: at(rates[1]), 4: at(rates[2]) });
}

describe('scaling note', () => {
  it('calls a curve flat when every step is within the spread of runs, even if the last point is the highest', () => {
    const text = note([10_283, 9_483, 10_554]);
    expect(text).toContain('1 → 2 workers: × 0.922; 2 → 4 workers: × 1.11');
    expect(text).toContain('The curve is flat');
    expect(text).not.toContain('falls with more');
  });

  it('says throughput falls with more workers when one worker is clearly best', () => {
    expect(note([8_689, 5_994, 4_950])).toContain('Throughput is highest with 1 worker and falls with more');
  });

  it('says the stack gained when no step loses', () => {
    expect(note([5_000, 9_000, 9_500])).toContain('The stack gained from added workers');
  });

  it('names the peak when it is in the middle', () => {
    expect(note([5_000, 9_000, 6_000])).toContain('Throughput is highest with 2 workers:');
  });
});
