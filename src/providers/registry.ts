/**
 * The wire protocols' implementations. OpenAI's is always loaded; Anthropic's and Gemini's (their
 * request and response translators, stream decoders, error classifiers) are imported only when a
 * configured provider speaks them (`loadProtocols`, which `startGateway` awaits before it serves): a
 * gateway whose routes never reach them does not hold their code (docs/PERFORMANCE.md).
 */
import { openAIProtocol } from './openai/index.js';
import type { ChatProtocol, ProtocolName } from './types.js';

const protocols = new Map<ProtocolName, ChatProtocol>([['openai', openAIProtocol]]);

const loaders: Record<Exclude<ProtocolName, 'openai'>, () => Promise<ChatProtocol>> = {
  anthropic: async () => (await import('./anthropic/index.js')).anthropicProtocol,
  gemini: async () => (await import('./gemini/index.js')).geminiProtocol,
};

/** Loads the implementations of `names` that are not loaded yet. */
export async function loadProtocols(names: Iterable<ProtocolName>): Promise<void> {
  const missing = [...new Set(names)].filter((name) => !protocols.has(name));
  await Promise.all(
    missing.map(async (name) => {
      if (name === 'openai') return;
      protocols.set(name, await loaders[name]());
    }),
  );
}

/**
 * The protocol implementation for a wire protocol name, or undefined if it is not loaded
 * (`loadProtocols`) or this build has none.
 */
export function chatProtocol(name: ProtocolName): ChatProtocol | undefined {
  return protocols.get(name);
}
