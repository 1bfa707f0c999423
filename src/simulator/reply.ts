/**
 * Timing and faults, applied the same way for every protocol: latency before the headers, time
 * to first token, token pacing, and each fault at its place in the response.
 */
import type { Decision } from './behavior.js';
import { echoText } from './echo-key.js';
import type { Exchange } from './exchange.js';
import { floodJson, floodStream } from './flood.js';
import type { Answer, FaultRenderer, Headers, StreamFrame } from './protocols/types.js';
import type { ErrorEventFault, Fault, KeepaliveFault, ModelBehavior, StatusFault } from './types.js';

export interface GenerationRun {
  exchange: Exchange;
  faults: FaultRenderer;
  decision: Decision;
  model: string;
  answer: (behavior: ModelBehavior) => Answer;
  /** The API key the request carried (the `echo-key` fault sends it back). */
  receivedKey: string;
}

export async function runGeneration(run: GenerationRun): Promise<void> {
  const { exchange, faults, decision, model } = run;
  const { behavior, fault } = decision;
  exchange.record.outcome(fault?.kind ?? 'ok');
  if (!(await exchange.sleep(behavior.latencyMs))) return;
  switch (fault?.kind) {
    case 'hang':
      return; // accepted, never answered; the socket stays open until the client or close() ends it
    case 'reset':
      return exchange.destroy();
    case 'status':
      return exchange.send(faults.status(fault, model));
    case 'echo-key':
      if (fault.form === 'text')
        return exchange.send(echoText(run.receivedKey, fault.status ?? 400, fault.at));
      if (fault.form === 'json') return exchange.send(faults.keyEcho(run.receivedKey, fault.status ?? 400));
  }
  const answer = run.answer(behavior);
  if (answer.kind === 'error') return exchange.send(answer.response);
  if (fault?.kind === 'flood') {
    return answer.kind === 'json'
      ? floodJson(exchange, answer, fault)
      : floodStream(exchange, answer.headers, fault);
  }
  if (answer.kind === 'json') return runJson(run, answer, fault);
  return runStream(run, answer, fault);
}

/** Milliseconds between two tokens; 0 = as fast as possible. */
function tokenInterval(behavior: ModelBehavior): number {
  return behavior.tokensPerSecond > 0 ? 1000 / behavior.tokensPerSecond : 0;
}

function withoutLength(headers: Headers): Headers {
  const copy = { ...headers };
  delete copy['content-length'];
  return copy;
}

/** Keep-alive filler for `durationMs` (or forever); false if the exchange died. */
async function keepAlive(exchange: Exchange, fault: KeepaliveFault, filler: string): Promise<boolean> {
  const started = performance.now();
  const interval = Math.max(1, fault.intervalMs);
  // The first keep-alive goes out with the headers, as a queueing server's does; then one per interval.
  for (;;) {
    if (!(await exchange.write(filler))) return false;
    const left = fault.durationMs === undefined ? interval : fault.durationMs - (performance.now() - started);
    if (left <= 0) return exchange.alive;
    if (!(await exchange.sleep(Math.min(interval, left)))) return false;
    if (fault.durationMs !== undefined && performance.now() - started >= fault.durationMs) return true;
  }
}

/** Non-streaming requests cannot carry an in-stream error: they get the 500 it stands for. */
function errorAsStatus(fault: ErrorEventFault): StatusFault {
  return { kind: 'status', status: 500, message: fault.message, code: fault.code ?? undefined };
}

async function runJson(
  run: GenerationRun,
  answer: Answer & { kind: 'json' },
  fault: Fault | null,
): Promise<void> {
  const { exchange, faults, decision, model } = run;
  const { behavior } = decision;
  const generation = behavior.ttftMs + Math.max(0, answer.tokens - 1) * tokenInterval(behavior);
  const body = answer.body;
  const half = body.slice(0, Math.floor(body.length / 2));
  switch (fault?.kind) {
    case 'error-event':
      return exchange.send(faults.status(errorAsStatus(fault), model));
    case 'echo-key':
      return exchange.send(faults.keyEcho(run.receivedKey, fault.status ?? 500));
    case 'malformed':
      if (await exchange.sleep(generation))
        exchange.send({ status: 200, headers: answer.headers, body: half });
      return;
    case 'cut':
    case 'stall': {
      if (!(await exchange.sleep(generation))) return;
      const length = String(Buffer.byteLength(body));
      exchange.sendHeaders(200, { ...answer.headers, 'content-length': length });
      if (!(await exchange.write(half))) return;
      if (fault.kind === 'cut') await exchange.destroy();
      return;
    }
    case 'keepalive':
      exchange.sendHeaders(200, withoutLength(answer.headers));
      if (!(await keepAlive(exchange, fault, '\n'))) return;
      if (await exchange.sleep(generation)) exchange.end(body);
      return;
  }
  if (await exchange.sleep(generation)) exchange.send({ status: 200, headers: answer.headers, body });
}

/** After how many chunks a stream fault strikes; -1 for none. */
function faultPosition(fault: Fault | null): number {
  if (fault?.kind === 'echo-key') return Math.max(0, fault.afterChunks ?? 0);
  return fault !== null && 'afterChunks' in fault ? Math.max(0, fault.afterChunks) : -1;
}

async function runStream(
  run: GenerationRun,
  { headers, frames }: { headers: Headers; frames: StreamFrame[] },
  fault: Fault | null,
): Promise<void> {
  const { exchange, faults } = run;
  const { behavior } = run.decision;
  exchange.sendHeaders(200, withoutLength(headers));
  if (fault?.kind === 'keepalive' && !(await keepAlive(exchange, fault, faults.keepaliveComment))) return;
  if (!(await exchange.sleep(behavior.ttftMs))) return;
  const interval = tokenInterval(behavior);
  const afterChunks = faultPosition(fault);
  let sent = 0;
  let tokens = 0;
  let firstTokenAt = 0;
  for (const frame of frames) {
    if (sent === afterChunks || (frame.terminal === true && afterChunks > sent)) {
      switch (fault?.kind) {
        case 'cut':
          return exchange.destroy();
        case 'stall':
          return; // silence, socket open
        case 'error-event':
          if (await exchange.write(faults.streamError(fault))) exchange.end();
          return;
        case 'echo-key':
          if (await exchange.write(faults.keyEchoEvent(run.receivedKey))) exchange.end();
          return;
        case 'malformed':
          if (!(await exchange.write(faults.malformedFrame()))) return;
          break;
      }
    }
    if (frame.token) {
      if (tokens === 0) firstTokenAt = performance.now();
      else if (interval > 0) {
        const due = firstTokenAt + tokens * interval;
        if (!(await exchange.sleep(due - performance.now()))) return;
      }
      tokens++;
    }
    if (!(await exchange.write(frame.text))) return;
    if (!frame.terminal) sent++;
  }
  exchange.end();
}
