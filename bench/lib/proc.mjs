/** What a child process costs, read from /proc: resident memory and CPU time (all threads). */
import { clearInterval, setInterval } from 'node:timers';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** VmRSS and VmHWM (peak) in MB. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** User + system CPU time of the whole process, in ms (resolution: one clock tick). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
}

/** Samples each pid's RSS every `intervalMs` until stopped; returns the max RSS per pid, in MB. */
export function sampleRss(pids, intervalMs = 100) {
  const max = new Map(pids.map((pid) => [pid, 0]));
  const sample = () => {
    for (const pid of pids) {
      try {
        max.set(pid, Math.max(max.get(pid), memory(pid).rssMb));
      } catch {
        // the process is gone; keep what was seen
      }
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    return max;
  };
}

/** CPU time each pid spends while `work` runs. */
export async function measureCpu(pids, work) {
  const before = new Map(pids.map((pid) => [pid, cpuMs(pid)]));
  const result = await work();
  const spent = new Map(pids.map((pid) => [pid, cpuMs(pid) - before.get(pid)]));
  return { result, spent };
}

/** CPU time (ms) the whole machine spent busy: user, nice, system, irq, softirq and steal. */
export function machineBusyMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / clockTicks();
}

/** This process's CPU time plus that of its exited children (wrk runs), in ms. */
export function selfAndReapedMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime 14, stime 15, cutime 16, cstime 17.
  return (
    ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) /
    clockTicks()
  );
}
